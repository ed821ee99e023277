-- wrk script: back-to-back heartbeats. Run with one connection per thread (-tN -cN): thread
-- k owns every N-th service of the tokens file and heartbeats them in turn, each time
-- with the token its previous heartbeat of that service got back.
-- Arguments (after --): TOKENS_FILE ("id token" lines) PATH_PREFIX THREADS
local counter = 0
function setup(thread)
   counter = counter + 1
   thread:set("index", counter)
end

function init(args)
   local threads = tonumber(args[3])
   ids, tokens = {}, {}
   local n = 0
   for line in io.lines(args[1]) do
      if n % threads == index - 1 then
         local id, token = line:match("^(%S+) (%S+)$")
         table.insert(ids, id)
         table.insert(tokens, token)
      end
      n = n + 1
   end
   prefix = args[2]
   current = 0
end

function request()
   current = current % #ids + 1
   return wrk.format("POST", prefix .. "/services/" .. ids[current] .. "/heartbeat", nil,
      '{"token": "' .. tokens[current] .. '"}')
end

function response(status, headers, body)
   local next = body:match('"token":"([^"]+)"')
   if next then tokens[current] = next end
end
