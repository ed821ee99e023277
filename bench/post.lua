-- wrk script for registrations: every request registers a new service. Thread k of n
-- sends ids start+k, start+k+n, ... so ids (and names) never collide.
-- Arguments (after --): start-id format(json|xml) threads
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  start = tonumber(args[1])
  format = args[2]
  nthreads = tonumber(args[3])
  counter = 0
end

function request()
  local id = start + tid + counter * nthreads
  counter = counter + 1
  local body
  if format == "xml" then
    body = string.format('<registerService xmlns="http://www.hp.com/identity/api/ext/HP-IDM/v1.0" id="%d" serviceName="Registered %d" serviceType="compute" releaseState="preview"/>', id, id)
  else
    body = string.format('{"registerService":{"id":"%d","serviceName":"Registered %d","serviceType":"compute","releaseState":"preview"}}', id, id)
  end
  return wrk.format("POST", nil, nil, body)
end
