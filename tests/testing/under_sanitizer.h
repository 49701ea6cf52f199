// ENGRAM_TEST_UNDER_SANITIZER is defined when the test is built with ASan,
// TSan or MSan (clang or gcc), whose allocators do not report through
// mallinfo2: heap-accounting tests skip themselves there.
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ENGRAM_TEST_UNDER_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ENGRAM_TEST_UNDER_SANITIZER 1
#endif
