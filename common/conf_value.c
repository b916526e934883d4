typedef int bb__conf_placeholder;
