// engram: long-horizon memory for LLM agents. Include this one header.
#pragma once

#include "engram/embedder.h"
#include "engram/extractor.h"
#include "engram/logging.h"
#include "engram/options.h"
#include "engram/recall.h"
#include "engram/repair.h"
#include "engram/status.h"
#include "engram/store.h"
#include "engram/types.h"
