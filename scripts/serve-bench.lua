-- wrk script for scripts/serve-bench.sh: a mix of 80% recall and 20%
-- observe (one new turn, not synced) against one tenant of engram serve.
local questions = {
  "Where did Dana run a race?", "What does Ravi cook on weekends?", "Who is Dana's sister?",
  "When did Ravi move to Lisbon?", "What pet does Dana have?", "What instrument is Ravi learning?",
  "Which city did Dana visit in spring?", "What does Ravi do for work?",
}
local counter = 0
local id = 0
local thread_count = 0

function setup(thread)
  thread:set("id", thread_count)
  thread_count = thread_count + 1
end

function init(args)
  math.randomseed(os.time() + id * 7919)
end

function request()
  counter = counter + 1
  local headers = { ["Content-Type"] = "application/json" }
  if math.random() < 0.8 then
    local q = questions[math.random(#questions)]
    return wrk.format("POST", "/v1/tenants/bench/recall", headers, '{"question":"' .. q .. '","k":10}')
  end
  local body = string.format('{"speaker":"Dana","text":"Bench note %d from thread %s: I walked to the market and bought figs.","id":"wrk-%s-%d-%d"}',
                             counter, tostring(id), tostring(id), os.time(), counter)
  return wrk.format("POST", "/v1/tenants/bench/turns", headers, body)
end
