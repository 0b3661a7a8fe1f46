// CSP pipelines (DESIGN §4.3): processes that send sub-workloads or tokens over channels and
// consume them, connected into a workload that composes with combine/sequential, takes every
// schedule policy and runs on both backends. Lowered onto the dependency machinery (docs/csp.md):
// item i of a consumer waits for send i; send i waits until item i − max(depth, 1) has been
// consumed; a process's steps keep their own order. No thread per process.
#pragma once

#include <string>
#include <type_traits>
#include <vector>

#include "pto/wsp/csp/channel.hpp"
#include "pto/wsp/workload/workload.hpp"

namespace pto::wsp {

/// Puts `item` (any sub-workload) on `channel`; consumers see it once its tasks have finished.
/// The consumer's variable is bound to the item's index on the channel (0, 1, ...).
Workload send(const Channel& channel, const Workload& item);
/// Puts a token carrying `value` on `channel`; it is available once the sending process's
/// preceding steps (in the enclosing sequential / for_each) have finished.
Workload send(const Channel& channel, Expr value);

/// Runs `body(item)` once per item of `channel`, in send order, until the channel is closed (its
/// producers have all ended) and drained. Each body waits for the previous one.
Workload make_consume(const Channel& channel, Var item, const Workload& body);
template <typename F>
Workload consume(const Channel& channel, std::string name, F&& body) {
  Var v(std::move(name));
  return make_consume(channel, v, Workload(body(v)));
}

Workload record(const Event& event);
Workload synchronize(const Event& event);
Workload query(const Event& event, const Workload& then_branch);
Workload query(const Event& event, const Workload& then_branch, const Workload& else_branch);

/// A process: what it consumes and produces, and its body. Built fluently:
///   process("loader").produces({ch}).body(for_each(tiles, "i", ...))
class Process {
 public:
  explicit Process(std::string name);
  Process& consumes(std::vector<Channel> channels);
  Process& produces(std::vector<Channel> channels);
  Process& body(const Workload& body);
  /// A body that reads its instance index (0 for a process that is not replicated; with
  /// replicate(p, n), 0..n-1 — usable in tasks' axes and so as a dispatch key).
  template <typename F>
  requires std::is_invocable_v<F, Var> Process& body(F&& make,
                                                     std::string instance_name = "instance") {
    decl_.instance = Var(std::move(instance_name));
    return body(Workload(make(decl_.instance)));
  }
  const ProcessDecl& decl() const noexcept { return decl_; }

 private:
  friend Process replicate(const Process& process, int n);
  ProcessDecl decl_;
};

Process process(std::string name);
/// `n` instances of `process` sharing its input channels: item i of a consumed channel goes to
/// instance i mod n (each item to exactly one). Throws ChannelError for n < 1.
Process replicate(const Process& process, int n);

/// Connects processes by channels into a workload. Wiring is checked here (ChannelError naming
/// process and channel): every channel must be consumed by some process; a process may only send
/// on channels it produces and consume channels it consumes, all of them connected; a process may
/// not consume its own output over a depth-0 channel; every process needs a body.
Workload connect(std::vector<Process> processes, std::vector<Channel> channels);

}  // namespace pto::wsp
