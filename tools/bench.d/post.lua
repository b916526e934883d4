-- POST of a fixed body to the URL given to wrk (blobbyd insert).
-- Argument: the file holding the body (the 1 KiB that every writer sends).
local req

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = "application/octet-stream"
  req = wrk.format("POST", nil, nil, body)
end

-- Same per-request Lua call as every other script (see get.lua).
function request()
  return req
end
