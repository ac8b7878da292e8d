-- wrk script: POST /applications with valid bodies, unique PANs and a realistic mix.
-- Each thread draws a random 5-letter PAN prefix and then counts through the 4 digits +
-- final letter (260,000 PANs per prefix); a new random prefix is drawn when that runs out.
-- So PANs never repeat within a run, and across runs only if two random prefixes collide.
-- Counts responses by status; prints p50/p90/p99 and the non-202 count in done().
-- Copy of ../shared/bench/post.lua with one addition: when PREQUAL_API_KEY is set, every request carries
-- `Authorization: Bearer $PREQUAL_API_KEY` (contract section 6).

local threads = {}

function setup(thread)
   thread:set("tid", #threads + 1)
   table.insert(threads, thread)
end

local A = string.byte("A")
local prefix, seq
local codes = {}
non202 = 0
total = 0

local function new_prefix()
   local p = {}
   for i = 1, 5 do p[i] = string.char(A + math.random(0, 25)) end
   prefix = table.concat(p)
   seq = 0
end

function init(args)
   local seed = os.time() * 1000 + tid * 7919
   local f = io.open("/dev/urandom", "rb")
   if f then
      local b = f:read(4); f:close()
      seed = seed + b:byte(1) * 16777216 + b:byte(2) * 65536 + b:byte(3) * 256 + b:byte(4)
   end
   math.randomseed(seed % 2147483647)
   for _ = 1, 10 do math.random() end
   new_prefix()
   path = string.gsub(wrk.path or "/", "/+$", "") .. "/applications"
end

local names = {"Aarav Sharma", "Priya Patel", "Rohan Iyer", "Ananya Reddy", "Vikram Singh",
               "Meera Nair", "Arjun Gupta", "Kavya Menon", "Siddharth Rao", "Neha Joshi"}

local function pick_income()
   local r = math.random()
   if r < 0.25 then return math.random(12000, 29999)      -- low income (< 30k)
   elseif r < 0.75 then return math.random(30000, 75000)  -- middle
   else return math.random(75001, 400000) end             -- high (> 75k)
end

local function pick_loan()
   local r = math.random()
   if r < 0.45 then return "PERSONAL", math.random(50, 1500) * 1000
   elseif r < 0.75 then return "HOME", math.random(500, 10000) * 1000
   elseif r < 0.95 then return "AUTO", math.random(100, 2500) * 1000
   else return nil, math.random(50, 2000) * 1000 end      -- loan_type omitted
end

local hdrs = {["Content-Type"] = "application/json"}
local api_key = os.getenv("PREQUAL_API_KEY")
if api_key and api_key ~= "" then hdrs["Authorization"] = "Bearer " .. api_key end
path = nil  -- set in init(): the URL's path prefix + /applications

function request()
   if seq >= 260000 then new_prefix() end
   local pan = string.format("%s%04d%s", prefix, seq % 10000, string.char(A + math.floor(seq / 10000)))
   seq = seq + 1
   local lt, amount = pick_loan()
   local parts = {string.format('"pan_number":"%s"', pan)}
   if math.random() < 0.9 then
      parts[#parts + 1] = string.format('"applicant_name":"%s"', names[math.random(1, #names)])
   end
   parts[#parts + 1] = string.format('"monthly_income_inr":%d', pick_income())
   parts[#parts + 1] = string.format('"loan_amount_inr":%d', amount)
   if lt then parts[#parts + 1] = string.format('"loan_type":"%s"', lt) end
   return wrk.format("POST", path, hdrs, "{" .. table.concat(parts, ",") .. "}")
end

function response(status, headers, body)
   total = total + 1
   if status ~= 202 then
      non202 = non202 + 1
      codes[status] = (codes[status] or 0) + 1
      codes_str = ""
      for k, v in pairs(codes) do codes_str = codes_str .. k .. ":" .. v .. " " end
   end
end

function done(summary, latency, requests)
   local n, bad, agg, detail = 0, 0, {}, ""
   for _, t in ipairs(threads) do
      n = n + (t:get("total") or 0)
      bad = bad + (t:get("non202") or 0)
      local cs = t:get("codes_str") or ""
      for k, v in string.gmatch(cs, "(%d+):(%d+)") do
         agg[k] = (agg[k] or 0) + tonumber(v)
      end
   end
   for k, v in pairs(agg) do detail = detail .. " status" .. k .. "=" .. v end
   local secs = summary.duration / 1e6
   io.write("----- post-load summary -----\n")
   io.write(string.format("requests_total   %d\n", summary.requests))
   io.write(string.format("requests_per_sec %.1f\n", summary.requests / secs))
   io.write(string.format("latency_ms p50 %.2f p90 %.2f p99 %.2f max %.2f mean %.2f\n",
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
   io.write(string.format("responses_seen   %d\n", n))
   io.write(string.format("non_202          %d%s\n", bad, detail))
   io.write(string.format("socket_errors    connect %d read %d write %d timeout %d\n",
      summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
