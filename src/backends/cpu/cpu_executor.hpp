// The cpu backend: worker threads that generate, track and run tasks with real kernels.
#pragma once

#include <memory>

#include "engine/executor.hpp"

namespace pto::wsp::cpu {

std::unique_ptr<Executor> make_executor(Plan plan, Schedule schedule, CompileOptions options);

}  // namespace pto::wsp::cpu
