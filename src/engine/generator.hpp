// Lazy task generation: a resumable cursor that walks a Plan in program order and emits tasks
// and the structural events (chains and groups) the tracker turns into dependencies.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/task_payload.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

class Generator;

/// A record a CSP step waits for (a group or a task of the engine; opaque to the generator).
struct GateRef {
  std::uint32_t ref = 0xffffffffu;
  bool is_task = false;
  std::uint64_t stamp = 0;  ///< group serial or task id: a mismatch means finished and reused
  bool valid() const noexcept { return ref != 0xffffffffu; }
};

/// Receives the generator's events in program order.
///   chain_begin / chain_end bracket a for_each loop or a sequential node;
///   group_begin / group_end bracket one body of it (an iteration, or one child): everything in
///   a group waits for the previous group of the same chain.
class GenerationSink {
 public:
  virtual ~GenerationSink() = default;
  /// A payload for the next task, for the generator to fill (`commit_task` hands it over), or
  /// null when the next task has no room (the task window is full): generation stops before it.
  virtual TaskPayload* next_payload() = 0;
  virtual void commit_task() = 0;
  virtual void chain_begin() = 0;
  virtual void chain_end() = 0;
  virtual void group_begin() = 0;
  virtual void group_end() = 0;
  /// A body of a chain that is exactly one task (the task comes in between): the sink may gate
  /// the task on the previous body and let later bodies wait for the task itself, without a
  /// group. By default it is a group like any other.
  virtual void item_begin() { group_begin(); }
  virtual void item_end() { group_end(); }
  /// A chain body that is one task whose payload is filled: item_begin, commit_task and
  /// item_end in one call (a sink may save the gate bookkeeping of the two brackets).
  virtual void commit_item() {
    item_begin();
    commit_task();
    item_end();
  }
  /// Offered a parallel_for/select loop whose outer range [begin, end) (rows of a two-variable
  /// loop) is long: returning true takes over generating it (see Generator's range constructor);
  /// the offering generator then stops and later resumes after the loop.
  virtual bool split_loop(const Generator& /*from*/, int /*loop_node*/, std::int64_t /*begin*/,
                          std::int64_t /*end*/) {
    return false;
  }

  // --- CSP (docs/csp.md): the processes of a pipeline are generated as interleaved streams, each
  // in its own context (its own chains and open groups; the enclosing ones are inherited).
  /// A new context inheriting the current one's enclosing groups and gates; returns its id.
  virtual int context_new() { return 0; }
  virtual int context_current() { return 0; }
  virtual void context_switch(int /*id*/) {}
  virtual void context_free(int /*id*/) {}
  /// Tasks committed until the matching pop_gate also wait for `gate`.
  virtual void push_gate(GateRef /*gate*/) {}
  virtual void pop_gate() {}
  /// The body of the innermost chain that ended last (after group_end/item_end: that body); a
  /// body with no tasks still finishes only after everything it waited for. Invalid when none.
  virtual GateRef chain_last() { return {}; }
};

struct PipeRun;

struct GeneratorOptions {
  /// Offer long parallel loops to the sink (several generating threads).
  bool splittable = false;
  /// Emit a for_each over one task in place too, like a parallel loop (the same sink calls in
  /// the same order, without a frame per task). Off for the cpu backend: its two-thread chain
  /// ran ~25% slower with it (docs/PERFORMANCE.md), likely because the idle worker, done
  /// generating sooner, takes the chain's next task from the worker that released it. On for
  /// the simulator (one thread, no such effect; ~5% on a DAG of chains).
  bool inline_chains = false;
  /// By plan node: whether anything reads the views of the node's tasks (a kernel run, a cost
  /// function, data-dependency tracking). A node whose views nobody reads gets its replayable
  /// views checked (an index out of range still raises) but not written: the payload's tensors
  /// then hold whatever an earlier task left. Null: every node's views are read.
  const std::vector<std::uint8_t>* views_read = nullptr;
};

/// Walks a Plan with an explicit stack, so it can stop after any task and resume later; memory is
/// proportional to the nesting depth, not to the number of tasks.
class Generator {
 public:
  /// Walks the whole plan.
  Generator(const Plan& plan, const BoundValues& values, GeneratorOptions options = {});
  /// Walks iterations [begin, end) of the outer index of `loop_node` (a parallel_for or select),
  /// with the enclosing loop variables `vars` as the offering generator had them. Writes every
  /// view (its one user, parallel generation, is the cpu backend's, which reads them all).
  Generator(const Plan& plan, const BoundValues& values, int loop_node,
            std::span<const std::int64_t> vars, std::int64_t begin, std::int64_t end);
  /// Walks the body of process instance `proc` of the pipeline `pipe` (CSP), with the views_read
  /// of the generator that opened the pipeline.
  Generator(const Plan& plan, const BoundValues& values, int body,
            std::span<const std::int64_t> vars, PipeRun* pipe, int proc,
            const std::vector<std::uint8_t>* views_read);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  /// Loops with at least this many outer iterations are offered to the sink.
  static constexpr std::int64_t kMinSplitIterations = 64;

  /// Emits events until the next task would exceed `max_tasks` or find no room, or the workload
  /// is exhausted; returns the number of tasks committed. Throws CompileError for a bad view or
  /// size (before the task concerned is committed).
  std::int64_t run(GenerationSink& sink, std::int64_t max_tasks);
  bool done() const noexcept { return frames_.empty(); }
  /// The last `run` stopped because the sink had no room for a task.
  bool blocked() const noexcept { return blocked_; }
  /// The last `run` stopped at a channel (CSP): an item not sent yet, or no room for a send.
  bool channel_blocked() const noexcept { return channel_blocked_; }
  /// What it waits for, when channel_blocked() (for DeadlockError).
  std::string waiting() const;
  /// The loop variables as they are now (what a split loop's sub-generators start from).
  std::span<const std::int64_t> vars() const noexcept { return vars_; }

 private:
  struct Frame {
    int node = -1;
    int stage = 0;       ///< 0: entering; then loop/child progress
    std::int64_t i = 0;  ///< loop: outer index (row for two-variable loops)
    std::int64_t i_end = 0;
    std::int64_t j = 0;  ///< loop: inner index (Ragged/Sparse)
    std::int64_t j_end = 0;
    std::int64_t row = 0;  ///< loop over one row: the row
    bool preset = false;   ///< [i, i_end) given by the range constructor
    bool at_body = false;  ///< loop over one task, stopped before emitting its current iteration
  };

  // Evaluates a loop's outer range into f.i/f.i_end; positions it at its first iteration from
  // f.i (false: none) or at the next one.
  void loop_range(Frame& f, const PlanNode& n);
  bool loop_position(Frame& f, const PlanNode& n);
  bool loop_next(Frame& f, const PlanNode& n);
  bool inner_start(Frame& f, const PlanNode& n);
  void row_range(const PlanNode& n, std::int64_t r, std::int64_t& begin, std::int64_t& end) const;
  void set_vars(const Frame& f, const PlanNode& n);
  std::int64_t eval(const ExprProgram& p, const PlanNode& where) const;
  /// Fills `p` (the sink's next payload) with the task of `n` and commits it, as a chain item
  /// when `item`.
  void emit_task(GenerationSink& sink, TaskPayload& p, const PlanNode& n, int node,
                 bool item = false);
  void begin_body(GenerationSink& sink, int body) const;
  void end_body(GenerationSink& sink, int body) const;
  // CSP steps; each returns false when the generator must stop (blocked, budget or window).
  bool step_send(GenerationSink& sink, Frame& f, const PlanNode& n);
  bool step_consume(GenerationSink& sink, Frame& f, const PlanNode& n);
  bool step_pipeline(GenerationSink& sink, Frame& f, const PlanNode& n, std::int64_t max_tasks,
                     std::int64_t& committed);
  static GateRef empty_body(GenerationSink& sink);
  /// Where a process waits on a channel (described only for DeadlockError).
  struct Wait {
    enum Kind { Room, Item, Token, Taken } kind = Item;
    const PlanChannel* channel = nullptr;
    std::int64_t item = 0;
  };
  bool block_on(Wait wait);

  /// How emit_task fills one argument of a task node (worked out at the node's first task).
  struct ArgFill {
    enum class Kind : std::uint8_t { Chain, View, Constant, Scalar };
    Kind kind = Kind::View;
    std::uint32_t index = 0;             ///< the parameter's index
    const SelectChain* chain = nullptr;  ///< Chain: replayed (SelectChain::simple)
    ScalarValue constant;                ///< Constant: the same for every task
  };
  struct NodeFill {
    bool built = false;
    std::uint32_t nargs = 0;
    std::vector<ArgFill> args;
    /// Replayable views nobody reads (GeneratorOptions::views_read): not written, only their
    /// indices checked — each loop variable once, against the smallest extent any of them
    /// selects it from (Q[b][h], O[b][h], l[b][h] check b and h once). A failed check resolves
    /// these views one by one, which raises the error naming the first bad one.
    std::vector<ArgFill> checked;
    struct IndexCheck {
      int var;
      std::int64_t extent;
    };
    std::vector<IndexCheck> index_checks;
  };
  const NodeFill& fill_of(int node) {
    const NodeFill& fill = fills_[static_cast<std::size_t>(node)];
    return fill.built ? fill : build_fill(node);
  }
  const NodeFill& build_fill(int node);
  [[noreturn]] void raise_checked(TaskPayload& p, int node, const NodeFill& fill);

  const Plan& plan_;
  const BoundValues& values_;
  std::vector<std::int64_t> vars_;
  std::vector<NodeFill> fills_;  ///< by plan node
  std::vector<Frame> frames_;
  bool splittable_ = false;
  bool inline_chains_ = false;
  const std::vector<std::uint8_t>* views_read_ = nullptr;
  bool blocked_ = false;
  // CSP
  std::vector<std::unique_ptr<PipeRun>> pipes_;  ///< pipelines open in this walk, innermost last
  PipeRun* pipe_ = nullptr;                      ///< the pipeline this generator is a process of
  int proc_ = -1;
  bool channel_blocked_ = false;
  Wait wait_;
};

}  // namespace pto::wsp::engine
