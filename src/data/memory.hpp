// Memory checks before large allocations: a request that cannot fit is refused with a message
// saying how much was asked and how much there is, instead of failing halfway (or being killed).
#pragma once
#include <cstdint>
#include <string>

namespace cfdm::data {

// Bytes this process can still allocate: natively MemAvailable (Linux /proc/meminfo, capped by
// what RLIMIT_AS leaves beside the address space already mapped), in WebAssembly what the heap may still grow to (its set maximum minus what is in
// use). A large number when unknown.
uint64_t available_memory_bytes();

// Caps the memory this process may use at `bytes` (0: no cap), for what available_memory_bytes()
// reports: the web page's threaded build may get a smaller memory than the build's maximum (a
// phone that refuses to reserve 2 GB).
void set_memory_cap(uint64_t bytes);

// Throws cfdm::Error "WHAT needs X MB, but only Y MB are available: HINT" when bytes exceeds
// what is available.
void check_memory(uint64_t bytes, const std::string& what, const std::string& hint);

std::string megabytes(uint64_t bytes);  // "12.3 MB"

}  // namespace cfdm::data
