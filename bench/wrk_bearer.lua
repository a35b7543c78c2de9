-- wrk script: sends the API token and, when WRK_DELAY_MS is set, waits that long between a
-- connection's requests, so that connections x (1000 / delay) fixes the offered rate.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("YARD_TOKEN")
local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")

function delay()
  return pause
end
