-- GET of the URL given to wrk (nginx 204, nginx static file).
-- It defines request() although the request never changes, so that wrk makes
-- one Lua call per request here just as in the other scripts: the client then
-- spends the same CPU per request in every benchmark, and on a 2-core machine
-- shared by client and server that keeps the ratios fair.
local req

function init(args)
  req = wrk.format("GET")
end

function request()
  return req
end
