-- GET of existing blobs, cycling over IDs (blobbyd read): <URL path><id>.
-- Argument: a file with one ID per line (inserted before the run).
-- The requests are formatted once in init(), so a request costs the client
-- one Lua call and no string work, as in get.lua.
local nthreads = 0   -- main Lua state only: numbers the threads in setup()
local reqs = {}
local i = 0

function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

function init(args)
  for id in io.lines(args[1]) do
    if id ~= "" then
      reqs[#reqs + 1] = wrk.format("GET", wrk.path .. id)
    end
  end
  assert(#reqs > 0, "no IDs in " .. args[1])
  -- Threads start at different IDs so they do not read in lockstep.
  i = (tid * 997) % #reqs
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end
