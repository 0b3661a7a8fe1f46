// The sim backend: a deterministic discrete-event simulation of the NPU model, driven by the
// same engine and scheduler core as the cpu backend.
#pragma once

#include <memory>

#include "engine/executor.hpp"

namespace pto::wsp::sim {

std::unique_ptr<Executor> make_executor(Plan plan, Schedule schedule, CompileOptions options);

}  // namespace pto::wsp::sim
