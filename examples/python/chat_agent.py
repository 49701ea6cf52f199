#!/usr/bin/env python3
"""A minimal chat agent with long-horizon memory, in Python.

    chat_agent.py STORE_DIR USER_NAME

Each line you type is remembered as a turn (durably: it survives a crash and
the next run). Before answering, the agent recalls what it knows about the
line. With ENGRAM_LLM_URL (an OpenAI-compatible /v1 base, e.g. a local
llama.cpp server) and ENGRAM_LLM_MODEL set (ENGRAM_LLM_API_KEY optional), it
sends the recalled context and your line to the model and remembers the
reply too. Without them it answers from memory alone, quoting the evidence
it recalled with its source ids and dates.

Input may be piped: ``echo "Where did I go hiking?" | chat_agent.py mem dana``.
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import engram

AGENT = "Assistant"


def ask_model(base_url, model, system, user):
    """One chat-completions call; returns the reply or a note saying why there is none."""
    request = urllib.request.Request(
        base_url.rstrip("/") + "/chat/completions",
        data=json.dumps({"model": model, "messages": [{"role": "system", "content": system},
                                                      {"role": "user", "content": user}]}).encode(),
        headers={"Content-Type": "application/json"})
    if os.environ.get("ENGRAM_LLM_API_KEY"):
        request.add_header("Authorization", "Bearer " + os.environ["ENGRAM_LLM_API_KEY"])
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            return json.load(reply)["choices"][0]["message"].get("content", "")
    except urllib.error.HTTPError as e:
        return f"(model answered HTTP {e.code})"
    except (urllib.error.URLError, OSError) as e:
        return f"(model unreachable: {e})"
    except (ValueError, KeyError, IndexError):
        return "(malformed model reply)"


def answer_from_memory(result, current_id):
    """An answer built only from recalled evidence, each piece quoted with its provenance."""
    evidence = [h for h in result.hits if h.source_ids != [current_id]][:3]
    if not evidence:
        return "I don't remember anything about that yet."
    lines = []
    if result.route.likely_unanswerable:
        lines.append("I may not know this; the closest things I remember:")
    else:
        lines.append("From what I remember:")
    for hit in evidence:
        when = f" on {hit.time.date().isoformat()}" if hit.time else ""
        who = f"{hit.speaker} said" if hit.speaker else "I noted"
        lines.append(f"  - {who}{when}: \"{hit.text}\" [{', '.join(hit.source_ids)}]")
    return "\n".join(lines)


def main(argv):
    if len(argv) != 3:
        print(f"usage: {argv[0]} STORE_DIR USER_NAME", file=sys.stderr)
        return 2
    store_dir, user = argv[1], argv[2]
    tenant = user
    llm_url, llm_model = os.environ.get("ENGRAM_LLM_URL"), os.environ.get("ENGRAM_LLM_MODEL")
    try:
        store = engram.Store(store_dir)
    except engram.Error as e:
        print(f"cannot open the memory: {e}", file=sys.stderr)
        return 3
    with store:
        session = f"chat-{int(time.time() * 1000)}"
        try:
            known = store.stats(tenant)
            remembered = f"{known.turns} turns from {known.sessions} sessions remembered"
        except engram.NotFound:  # a new user: nothing remembered yet
            remembered = "0 turns from 0 sessions remembered"
        print(f"memory open: {remembered}; type a message (Ctrl-D to quit)")
        n = 0
        interactive = sys.stdin.isatty()
        while True:
            if interactive:
                print("> ", end="", flush=True)
            line = sys.stdin.readline()
            if not line:
                break
            line = line.strip()
            if not line:
                continue
            n += 1
            turn_id = f"{session}:{n}"
            # Recall before storing the line, or the line is its own best match.
            offline = not llm_url or not llm_model
            if offline:
                result = store.recall(tenant, line, k=5, asking_user=user, agent_name=AGENT)
            else:
                context = store.context(tenant, line, budget_tokens=600, asking_user=user, agent_name=AGENT)
            try:
                store.observe(tenant, speaker=user, text=line, session=session,
                              time=datetime.now(timezone.utc), id=turn_id, sync=True)
            except engram.Error as e:
                print(f"not remembered: {e}", file=sys.stderr)
                continue
            if offline:
                print(answer_from_memory(result, turn_id))
                continue
            reply = ask_model(llm_url, llm_model,
                              "You are a helpful assistant with a long-term memory. What you remember:\n"
                              + context.text, line)
            print(reply)
            if reply and not reply.startswith("(model"):
                n += 1
                store.observe(tenant, speaker=AGENT, text=reply, session=session,
                              time=datetime.now(timezone.utc), id=f"{session}:{n}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
