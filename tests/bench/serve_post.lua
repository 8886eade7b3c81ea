-- wrk script for tests/bench/serve.sh: every request POSTs a one-click
-- unsubscribe (RFC 8058) with a token of its own, from tokens.txt in the
-- current directory; thread n takes the tokens from line n*TOKENS_PER_THREAD.
local tokens = {}
for line in io.lines("tokens.txt") do tokens[#tokens + 1] = line end
local per_thread = tonumber(os.getenv("TOKENS_PER_THREAD") or "100000")
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end
function init(args)
  i = id * per_thread
end
wrk.method = "POST"
wrk.body = "List-Unsubscribe=One-Click"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
function request()
  i = i + 1
  return wrk.format(nil, "/u?t=" .. tokens[i])
end
