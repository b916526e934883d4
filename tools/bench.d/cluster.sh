# shellcheck shell=bash
# tools/bench.d/cluster.sh: the two-node part of tools/bench, sourced by it
# (it uses TMP, BLOBBYD, NIDS, PIDS, die, say, free_ports, start_node,
# insert_blobs and check_reads from there).
#
# start_cluster starts node A (machine_id 1) and node B (machine_id 2) on
# loopback, each the other's only remote, with two namespaces: r1 (replicas =
# 1: every file of A's has its replica on B) and r0 (replicas = 0: a read of
# A's blobs on B is forwarded to A over RPC). It sets CLA and CLB, the HTTP
# URLs of A and B (CLA_PID and CLB_PID their process ids), waits until A takes inserts into r1, inserts NIDS blobs
# into A's r0 (their IDs in $TMP/cl_ids) and reads them all back through A
# and through B.

# cluster_conf X ID RPC_PORT PEER_ID PEER_RPC_PORT: writes $TMP/nodeX.ini.
cluster_conf() {
  local x=$1 id=$2 rpc=$3 peer=$4 peer_rpc=$5 ns
  mkdir -p "$TMP/node$x/r1" "$TMP/node$x/r0" "$TMP/archive$x"
  {
    cat <<EOC
machine_id = $id
[log]
file = $TMP/node$x.log
[client]
timeout = 10s
[server]
addr = 127.0.0.1
port = 0
rpc_port = $rpc
[remote.$peer]
host = 127.0.0.1
rpc_port = $peer_rpc
EOC
    for ns in r1 r0; do
      cat <<EOC
[namespace.$ns]
directory = $TMP/node$x/$ns
replicas = ${ns#r}
archive = dir
archive_directory = $TMP/archive$x
upload_file_size = 1gib
max_open_files = 4
EOC
    done
  } >"$TMP/node$x.ini"
}

# cluster_node X RPC_PORT: starts node X and checks that it serves RPC on
# RPC_PORT (it prints that line before the "listening on" one); sets PORT.
cluster_node() {
  local x=$1 rpc=$2
  start_node "node$x"
  grep -q "rpc on tcp://127\.0\.0\.1:$rpc\$" "$TMP/node$x.out" || {
    cat "$TMP/node$x.out" >&2
    die "node$x: no line 'rpc on tcp://127.0.0.1:$rpc' (a blobbyd built before RPC?)"
  }
}

start_cluster() {
  local rpca rpcb out end
  # Each configuration names the other node's RPC port, so both are chosen
  # before either node starts.
  read -r rpca rpcb < <(free_ports 2)
  [[ -n $rpcb ]] || die "no free ports for the cluster"
  cluster_conf A 1 "$rpca" 2 "$rpcb"
  cluster_conf B 2 "$rpcb" 1 "$rpca"
  cluster_node A "$rpca"
  CLA=http://127.0.0.1:$PORT
  # shellcheck disable=SC2034 # used by tools/bench
  CLA_PID=$NODE_PID
  cluster_node B "$rpcb"
  CLB=http://127.0.0.1:$PORT
  # shellcheck disable=SC2034 # used by tools/bench
  CLB_PID=$NODE_PID
  say "cluster: A on $CLA (rpc $rpca), B on $CLB (rpc $rpcb)"

  # A's first primary of r1 needs its replica on B set up over RPC before an
  # insert can succeed: poll for up to 20 s, each attempt within what is left.
  end=$((SECONDS + 20))
  while :; do
    out=$(curl -s --max-time "$((end - SECONDS))" --data-binary "@$TMP/body.bin" \
      -H 'Content-Type: application/octet-stream' -w ' %{http_code}' "$CLA/r1") || true
    [[ $out =~ ^[^[:space:]]+\ 200$ ]] && break
    if ((SECONDS >= end - 1)); then   # too little left for another attempt
      tail -n 5 "$TMP/nodeA.log" "$TMP/nodeB.log" >&2 || true
      die "cluster: POST $CLA/r1 did not answer 200 with an ID within 20 s (last: '${out:0:200}')"
    fi
    sleep 0.2
  done

  insert_blobs "$CLA/r0" "$TMP/cl_ids"
  check_reads "$CLA/r0/" "$TMP/cl_ids"   # local on A
  check_reads "$CLB/r0/" "$TMP/cl_ids"   # forwarded by B to A
}
