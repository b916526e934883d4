-- WebDAV PUT of a fixed body to a path never used before (nginx WebDAV),
-- so that every request creates one new file, as an insert creates one object:
--   <URL path><run>/<thread>/<n>
-- Arguments: the file holding the body, the run number (paths stay unique
-- across runs of the same server).
local nthreads = 0   -- main Lua state only: numbers the threads in setup()
local prefix, body
local n = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/octet-stream"
  prefix = wrk.path .. args[2] .. "/" .. tid .. "/"
end

function request()
  n = n + 1
  return wrk.format("PUT", prefix .. n, nil, body)
end
