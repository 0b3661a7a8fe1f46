// Kernels and helpers shared by the workload tests.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pto/wsp/wsp.hpp"

namespace pto::wsp::testing {

inline Kernel noop_kernel(std::string name, std::vector<ParamSpec> params) {
  return make_kernel(std::move(name), std::move(params), [](const TaskArgs&) {});
}

/// Every task as "kernel[a=1, b=2]", in enumeration order.
inline std::vector<std::string> task_names(const Workload& w, const Bindings& b,
                                           const KernelRegistry* registry = nullptr) {
  Plan plan = lower(w, registry);
  std::vector<std::string> out;
  enumerate_tasks(plan, bind(plan, b), [&](const TaskInstance& t) { out.push_back(t.name()); });
  return out;
}

inline std::string joined(const std::vector<std::string>& v) {
  return fmt::format("{}", fmt::join(v, " "));
}

}  // namespace pto::wsp::testing
