// What the generator resolves for one task: its plan node, axis values, views and scalars.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "pto/wsp/core/tensor.hpp"
#include "pto/wsp/kernel/kernel.hpp"

namespace pto::wsp::engine {

inline constexpr int kMaxTaskAxes = 8;

/// Resolved arguments of one task. Vectors keep their capacity when a payload is reused, so a
/// steady-state generator allocates nothing.
struct TaskPayload {
  int node = -1;
  int num_axes = 0;
  // Before the axis values: the node and scalars (a simulator's cost) on one cache line.
  std::vector<Tensor> tensors;       ///< by parameter index (undefined for scalars)
  std::vector<ScalarValue> scalars;  ///< by parameter index (unused for tensors)
  std::array<std::int64_t, kMaxTaskAxes> axis_values{};
};

}  // namespace pto::wsp::engine
