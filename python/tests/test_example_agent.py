"""examples/python/chat_agent.py remembers across runs and, offline, answers
by quoting what it recalled."""

import os
import subprocess
import sys
import unittest

from support import StoreTestCase, use_lite_available

AGENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "python", "chat_agent.py")


@unittest.skipUnless(use_lite_available(), "the built-in model is not fetched (scripts/fetch-model.sh)")
class ChatAgentTest(StoreTestCase):
    def run_agent(self, text):
        env = {k: v for k, v in os.environ.items() if not k.startswith("ENGRAM_LLM_")}
        done = subprocess.run([sys.executable, AGENT, self.path, "dana"], input=text, env=env,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stderr)
        return done.stdout

    def test_second_run_quotes_what_the_first_one_heard(self):
        first = self.run_agent("I adopted a cat named Pixel last week.\nMy sister Ines lives in Lisbon.\n")
        self.assertIn("0 turns from 0 sessions", first)
        second = self.run_agent("What is the name of my cat?\n")
        self.assertIn("2 turns from 1 sessions", second)
        self.assertIn('"I adopted a cat named Pixel last week."', second)
        self.assertRegex(second, r"\[chat-\d+:1\]")

    def test_usage_without_arguments(self):
        done = subprocess.run([sys.executable, AGENT], capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2)
        self.assertIn("usage:", done.stderr)


if __name__ == "__main__":
    unittest.main()
