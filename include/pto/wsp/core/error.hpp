// The typed error hierarchy of PTO-WSP (DESIGN §5): every user-facing failure is one of these.
#pragma once

#include <stdexcept>
#include <string>

namespace pto::wsp {

/// Root of every error PTO-WSP raises for bad user input or a failed run.
class PtoError : public std::runtime_error {
 public:
  explicit PtoError(const std::string& message) : std::runtime_error(message) {}
};

/// A workload, kernel signature or binding is malformed (arity, names, sizes, tables, symbols).
class CompileError : public PtoError {
 public:
  using PtoError::PtoError;
};

/// A value has the wrong type: dtype, rank, or tensor/scalar kind, or a tile-shape mismatch.
class TypeCheckError : public PtoError {
 public:
  using PtoError::PtoError;
};

/// A schedule is inconsistent with its workload or backend.
class ScheduleError : public PtoError {
 public:
  using PtoError::PtoError;
};

/// Running a program failed for a reason other than a kernel (window abort, bad index at run time).
class ExecutionError : public PtoError {
 public:
  using PtoError::PtoError;
};

/// A kernel raised while running a task; the message names the task.
class KernelError : public ExecutionError {
 public:
  using ExecutionError::ExecutionError;
};

/// Misuse of a CSP channel.
class ChannelError : public PtoError {
 public:
  using PtoError::PtoError;
};

class ChannelClosed : public ChannelError {
 public:
  using ChannelError::ChannelError;
};

class ChannelFull : public ChannelError {
 public:
  using ChannelError::ChannelError;
};

/// Nothing runs, nothing is ready and work remains.
class DeadlockError : public ExecutionError {
 public:
  using ExecutionError::ExecutionError;
};

/// A broken internal invariant: a bug in PTO-WSP, never the user's fault.
class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

}  // namespace pto::wsp
