-- wrk script for a POST whose body is the same every time (token issue): the body is read
-- from the file named after --.
function init(args)
  local file = assert(io.open(args[1], "rb"))
  body = file:read("*a")
  file:close()
end

function request()
  return wrk.format("POST", nil, nil, body)
end
