-- wrk script for requests whose answer is needed by the next one: a refresh
-- spends its token and answers with the successor; a PUT must carry the
-- version its previous answer gave.
--
-- Usage: wrk -s stateful.lua [-H "Authorization: Bearer …"] URL -- KIND FILE THREADS
--   KIND refresh: FILE has one refresh token per line (one login each).
--   KIND put:     FILE has one "setlist-id version" per line.
--
-- Each wrk thread takes its share of FILE as a pool. A request takes an item
-- from the pool, and a 200 answer puts the item's successor back: every item
-- is used exactly once (a refresh token used twice would be reuse, and revoke
-- its session). A pool that runs dry, after a failed answer, sends something
-- the server refuses, so that the failure shows as a non-2xx answer.

local next_thread = 0

function setup(thread)
  thread:set("thread_index", next_thread)
  next_thread = next_thread + 1
end

local kind
local pool = {}

function init(args)
  kind = args[1]
  local threads = tonumber(args[3])
  local line_number = 0
  for line in io.lines(args[2]) do
    if line_number % threads == thread_index then
      table.insert(pool, line)
    end
    line_number = line_number + 1
  end
end

-- wrk.format replaces wrk.headers (the -H options) with the table it is given.
local function with_headers(extra)
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  for name, value in pairs(extra) do
    headers[name] = value
  end
  return headers
end

local kinds = {
  refresh = {
    dry = "never-issued",
    request = function(token)
      return wrk.format("POST", "/api/auth/refresh", with_headers({ Cookie = "backstage_refresh=" .. token }))
    end,
    successor = function(headers, body)
      local cookie = headers["set-cookie"] or headers["Set-Cookie"]
      return cookie and cookie:match("^backstage_refresh=([^;]+)")
    end,
  },
  put = {
    dry = "no-such-setlist 1",
    request = function(item)
      local id, version = item:match("^(%S+) (%d+)$")
      local body = string.format(
        '{"name":"Load test %s","show_date":"2027-02-01","songs":[],"version":%s}', version, version)
      return wrk.format("PUT", "/api/setlists/" .. id, with_headers({ ["Content-Type"] = "application/json" }), body)
    end,
    successor = function(headers, body)
      local id, version = body:match('"id":"([^"]+)"'), body:match('"version":(%d+)')
      return id and version and (id .. " " .. version)
    end,
  },
}

function request()
  local item = table.remove(pool) or kinds[kind].dry
  return kinds[kind].request(item)
end

function response(status, headers, body)
  if status == 200 then
    local successor = kinds[kind].successor(headers, body)
    if successor then
      table.insert(pool, successor)
    end
  end
end
