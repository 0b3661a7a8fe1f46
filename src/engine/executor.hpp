// The interface every backend implements behind Program.
#pragma once

#include <vector>

#include "pto/wsp/program.hpp"

namespace pto::wsp {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual void execute(const Bindings& values) = 0;
  virtual void synchronize() = 0;
  virtual bool is_complete() const = 0;
  virtual ProgramStats stats() const = 0;
  virtual const std::vector<TaskEvent>& task_log() const = 0;
  virtual const Plan& plan() const = 0;
  virtual const Schedule& schedule() const = 0;
  virtual const CompileOptions& options() const = 0;
};

}  // namespace pto::wsp
