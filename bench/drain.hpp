// The engine on its own: generate everything, completing each task the moment it is ready, on the
// calling thread — only the engine's work (generation, tracking, completion) is timed. Shared by
// the engine benchmark and the simulator benchmark's floor.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/engine.hpp"

namespace pto::wsp::bench {

/// Runs the started engine `e` to the end, `batch` tasks per generate call; returns the number
/// of tasks.
inline std::int64_t drain(engine::Engine& e, std::int64_t batch) {
  std::vector<std::uint32_t> ready, next;
  std::int64_t tasks = 0;
  for (;;) {
    e.reclaim();
    const engine::GenerateResult r = e.generate(batch, 0, ready);
    tasks += r.tasks;
    while (!ready.empty()) {
      for (std::uint32_t s : ready) {
        e.complete(s, 0, next);
        e.retire(s);
      }
      ready.swap(next);
      next.clear();
    }
    if (r.exhausted) return tasks;
  }
}

}  // namespace pto::wsp::bench
