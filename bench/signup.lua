-- wrk script: POST a valid signup form to /events/SLUG/signups, each request
-- with an e-mail address no other request used (the same address twice is
-- refused with 409). Counts 303 (signed up) against anything else.
--
--   SLUG=my-event wrk -t2 -c8 -d10s --latency -s bench/signup.lua http://127.0.0.1:8080
--   wrk ... -s bench/signup.lua http://127.0.0.1:8080 -- my-event
--
-- The slug comes from the script's first argument, else $SLUG.

local threads = {}
local next_id = 1

-- setup runs in the main Lua state, once per thread: give each an id.
function setup(thread)
  thread:set("id", next_id)
  table.insert(threads, thread)
  next_id = next_id + 1
end

local slug, path, nonce
local counter = 0
see_other = 0
other = 0

function init(args)
  slug = args[1] or os.getenv("SLUG")
  if slug == nil or slug == "" then
    error("signup.lua: give the event's slug as the script argument or in $SLUG")
  end
  path = "/events/" .. slug .. "/signups"
  -- A random part per run, so a rerun against the same database does not
  -- collide with addresses from the previous run.
  math.randomseed(os.time() * 1000 + id)
  nonce = math.random(1, 2147483647)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  counter = counter + 1
  local email = string.format("bench-%d-%d-%d@bench.example", id, nonce, counter)
  local body = "name=Kari+Nordmann&email=" .. email:gsub("@", "%%40") ..
    "&phone=91234567&organization=Lasttest+AS&diet=&seats=1&show_name=none&consent=yes"
  return wrk.format(nil, path, nil, body)
end

function response(status, headers, body)
  if status == 303 then
    see_other = see_other + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok, bad = 0, 0
  for _, t in ipairs(threads) do
    ok = ok + t:get("see_other")
    bad = bad + t:get("other")
  end
  io.write(string.format("signup.lua: %d answered 303 See Other, %d answered something else\n", ok, bad))
end
