// The engine core shared by every backend: it owns generation, the dependency tracker, the task
// window and task/group records, and knows nothing of clocks or threads. A backend calls
// `generate` and `complete` and runs the tasks that become ready (DESIGN §4.7).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/access_analysis.hpp"
#include "engine/chunked_loop.hpp"
#include "engine/generator.hpp"
#include "engine/region_index.hpp"
#include "engine/reserved_array.hpp"
#include "engine/slot_output.hpp"
#include "engine/task_payload.hpp"
#include "pto/wsp/program.hpp"
#include "pto/wsp/workload/plan.hpp"

namespace pto::wsp::engine {

class Dispatcher;

/// A lock for a few instructions of work (appending a successor, marking a record done).
class SpinLock {
 public:
  void lock() noexcept {
    while (flag_.exchange(true, std::memory_order_acquire)) {
      while (flag_.load(std::memory_order_relaxed)) __builtin_ia32_pause();
    }
  }
  void unlock() noexcept { flag_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> flag_{false};
};

/// Holds a SpinLock for its scope when `on`; does nothing otherwise (an engine run by one thread).
class MaybeLock {
 public:
  MaybeLock(SpinLock& lock, bool on) noexcept : lock_(on ? &lock : nullptr) {
    if (lock_) lock_->lock();
  }
  ~MaybeLock() {
    if (lock_) lock_->unlock();
  }
  MaybeLock(const MaybeLock&) = delete;
  MaybeLock& operator=(const MaybeLock&) = delete;

 private:
  SpinLock* lock_;
};

/// A reference to a task record (slot) or, with the top bit set, a group record.
using RecordRef = std::uint32_t;
inline constexpr RecordRef kGroupBit = 0x80000000u;
inline constexpr std::uint32_t kNone = 0xffffffffu;
inline constexpr std::uint64_t kNoTask = ~0ull;  ///< the id of a free task record

/// The records waiting for one record. Most tasks have one or two: those live inline, so that
/// finishing a task does not chase a pointer to a cold heap block (a cache miss per task when the
/// window runs far ahead of execution).
class SuccessorList {
 public:
  void push_back(RecordRef r) {
    if (size_ < kInline) [[likely]] {
      inline_[size_++] = r;
    } else {
      push_more(r);
    }
  }
  /// The first successors (up to kInline), then the rest.
  std::span<const RecordRef> first() const noexcept {
    return {inline_.data(), size_ < kInline ? size_ : kInline};
  }
  const std::vector<RecordRef>& rest() const noexcept { return more_; }
  void clear() noexcept {
    size_ = 0;
    more_.clear();  // keeps its capacity for the record's next task
  }

 private:
  // Out of line, so that push_back inlines where edges are added without the vector's growth.
  [[gnu::noinline]] void push_more(RecordRef r) {
    more_.push_back(r);
    ++size_;
  }
  static constexpr std::uint32_t kInline = 3;
  std::uint32_t size_ = 0;
  std::array<RecordRef, kInline> inline_{};
  std::vector<RecordRef> more_;
};

/// State shared by task and group records: who waits for it, and whether it is done.
struct Waitable {
  std::atomic<std::int32_t> pending{0};
  SpinLock lock;
  bool done = false;            ///< guarded by lock
  SuccessorList successors;     ///< guarded by lock
  std::uint32_t group = kNone;  ///< enclosing group (its pending counts this record)
  /// Critical path: for a task, the longest chain of kernel time ending at its start (its end,
  /// once complete); for a group, the longest ending at any finished member.
  std::atomic<std::int64_t> path{0};
};

/// One generated, unretired task. Fields are grouped by when they are used, so that a task
/// record touches few cache lines at each step of its life: with a full window the record of a
/// task that becomes ready was written a whole window of tasks ago and is out of cache.
struct alignas(64) TaskRecord : Waitable {
  // Read or written from ready to retired (placement, readiness, the scheduler core's order),
  // on the line after the counters.
  std::uint64_t id = 0;             ///< generation index, from 0 per execution
  std::int64_t gen_ns = 0;          ///< when the engine committed it (the `generate` timestamp)
  std::int64_t ready_ns = 0;        ///< when the backend received it as ready (the backend's clock)
  std::uint64_t startable_seq = 0;  ///< when it became startable (scheduler order)
  // Placement, fixed at generation (engine/dispatcher.hpp).
  std::int64_t priority = 0;
  std::uint64_t stream_seq = 0;
  int home_queue = 0;
  int stream = -1;
  int queue = 0;          ///< the queue that released it (differs from home_queue when stolen)
  std::uint8_t unit = 0;  ///< the kind of core it needs (CoreKind); 0 on the cpu backend
  TaskPayload payload;
  // Written with the payload when the task is generated, on its second line.
  std::uint64_t dep_stamp = ~0ull;  ///< last task that took an edge to this one
  // Release, stamped by the scheduler core (read by traces), on one line.
  std::int64_t issue_ns = 0, issue_seq = 0, issue_group = 0;
  // Dependencies: what it waited for, and the data tracker's bookkeeping.
  std::vector<std::uint64_t> deps;  ///< ids of the tasks it waited for (EngineOptions::record_deps)
  std::vector<Region> regions;      ///< by parameter index (tensors only)
  std::vector<std::uint8_t> superseded;   ///< access no longer needs to be found
  std::vector<std::uint64_t> index_keys;  ///< where its accesses sit in the index
};

/// One body of a for_each or one child of a sequential: done when every member is done.
struct GroupRecord : Waitable {
  std::uint32_t serial = 0;   ///< bumped on reuse so stale references read as done
  std::uint32_t members = 0;  ///< tasks and groups committed into it (generation role only)
};

struct EngineOptions {
  std::int64_t window = 8192;
  WindowMode window_mode = WindowMode::Stall;
  /// Threads that may generate at once: above 1, long parallel_for/select loops are cut into
  /// chunks that idle workers expand ahead of the generation role (`help`).
  int generators = 1;
  /// Places each task on a queue and stream as it is committed (generation role only).
  Dispatcher* dispatcher = nullptr;
  /// One thread makes every call (the simulator): record counters and locks then need no atomic
  /// read-modify-writes (a locked instruction per update cost ~5% of the simulator's time).
  bool single_thread = false;
  /// Lists each task's predecessors in TaskRecord::deps (for task logs; a push per edge else).
  bool record_deps = true;
  /// By plan node: whether the backend reads the views of the node's tasks (runs its kernel, or
  /// calls a cost function). Empty: every node's. The engine adds the nodes whose accesses it
  /// tracks; the generator skips writing the views of the others (GeneratorOptions::views_read).
  std::vector<std::uint8_t> views_read{};
};

/// Result of one `generate` call.
struct GenerateResult {
  std::int64_t tasks = 0;    ///< committed
  bool exhausted = false;    ///< the generator has nothing left
  bool window_full = false;  ///< stopped because no slot was free
};

class Engine final : private GenerationSink {
 public:
  Engine(const Plan& plan, EngineOptions options);
  ~Engine() override;

  /// Starts an execution over `values` (which must outlive it). Not thread-safe with the rest.
  void start(const BoundValues& values);

  /// Frees the records that `retire` handed back, so their slots can be reused. Call it before
  /// taking the timestamp passed to `generate`: every task that freed a slot then ended before
  /// the tasks that reuse it were generated, as the window's definition requires.
  void reclaim();

  /// Generates up to `budget` tasks (fewer when the window fills), stamped `now_ns` — or, when
  /// generating each one takes `ns_per_task` (the simulated host), the k-th (from 0) is stamped
  /// `now_ns + (k + 1) * ns_per_task`. Tasks with nothing to wait for are appended to `ready`,
  /// and, when `waiting` is given, the others to it (both in generation order: a caller that
  /// derives something from each task's arguments can do it while they are in cache).
  /// One caller at a time (the generation role); concurrent with `complete`. Throws CompileError
  /// from the generator and ExecutionError when an ABORT window would overflow.
  GenerateResult generate(std::int64_t budget, std::int64_t now_ns,
                          std::vector<std::uint32_t>& ready, std::int64_t ns_per_task = 0,
                          std::vector<std::uint32_t>* waiting = nullptr);

  /// Marks task `slot` finished after `duration_ns` of kernel time: releases its successors
  /// (appended to `ready`) and its groups. Thread-safe; the slot is freed by a later `generate`
  /// once `retire` handed it back.
  /// Returns the longest chain of dependent tasks' kernel time that ends with this one (the
  /// critical path is the largest over all tasks; the backend keeps it per worker).
  std::int64_t complete(std::uint32_t slot, std::int64_t duration_ns,
                        std::vector<std::uint32_t>& ready);

  /// Hands finished records back to the generation role (thread-safe).
  void retire(std::uint32_t slot) {
    MaybeLock lock(retired_lock_, shared());
    retired_.push_back(slot);
  }

  /// True while a split loop has chunks that helpers could expand.
  bool can_help() const noexcept { return split_active_.load(std::memory_order_relaxed); }
  /// Expands one chunk of the current split loop ahead of the generation role (any thread,
  /// concurrently with `generate`); false when there was nothing to do.
  bool help();

  TaskRecord& task(std::uint32_t slot) noexcept { return records_[slot]; }
  const Plan& plan() const noexcept { return plan_; }
  /// Tasks committed in this execution (the next task id).
  std::uint64_t tasks_generated() const noexcept { return next_id_; }
  /// Task records made so far: every slot handed out is below it.
  std::uint32_t slots() const noexcept { return static_cast<std::uint32_t>(records_.made()); }
  std::int64_t window() const noexcept { return options_.window; }
  /// Live index entries (tests: memory is bounded by the window).
  std::size_t index_entries() const noexcept { return index_.size(); }
  /// Group records ever made (live or free): bounded by the window and the nesting depth.
  std::size_t group_records() const noexcept { return groups_.size() << kChunkBits; }

 private:
  static constexpr int kChunkBits = 10;
  static constexpr std::uint32_t kChunkMask = (1u << kChunkBits) - 1;

  // GenerationSink
  TaskPayload* next_payload() override;
  void commit_task() override;
  void commit_item() override;
  void chain_begin() override;
  void chain_end() override;
  void group_begin() override;
  void group_end() override;
  void item_begin() override;
  void item_end() override;
  bool split_loop(const Generator& from, int loop_node, std::int64_t begin,
                  std::int64_t end) override;
  int context_new() override;
  int context_current() override { return current_context_; }
  void context_switch(int id) override;
  void context_free(int id) override;
  void push_gate(GateRef gate) override;
  void pop_gate() override;
  GateRef chain_last() override;
  void open_body();
  void close_body();
  /// Commits the pending payload's task, waiting for the gates in force from `first_gate` on
  /// and, for a chain item, for the chain's previous body.
  template <bool kItem, bool kShared>
  void commit(std::size_t first_gate);
  /// Makes task `t` (slot `slot`, being committed) wait for `gate`'s record.
  template <bool kShared>
  void wait_for_gate(const GateRef& gate, TaskRecord& t, std::uint32_t slot);

  // Replays a chunk's buffered events, then generates the rest of it; returns false when it
  // stopped early (budget or window), true when the chunk is finished.
  bool replay_chunk(ChunkJob& job, std::int64_t budget, GenerateResult& out);

  /// A free slot, or kNone when the window is full. (Not std::optional: returned through memory,
  /// its value and flag are stored apart and loaded as one, which stalled every task.)
  std::uint32_t allocate_slot();
  [[gnu::noinline]] std::uint32_t new_slot();
  /// Makes task `succ` (slot `succ_slot`) wait for `p` unless it is done; true when it must.
  template <bool kShared>
  bool add_edge(Waitable& p, TaskRecord& succ, std::uint32_t succ_slot);
  /// Groups whose last member or gate finished, waiting to be finished themselves (inline: a
  /// task's completion usually finishes at most its enclosing group or two).
  class GroupWorklist {
   public:
    void push(std::uint32_t g) {
      if (n_ < inline_.size()) {
        inline_[n_++] = g;
      } else {
        if (!more_) more_ = std::make_unique<std::vector<std::uint32_t>>();
        more_->push_back(g);
      }
    }
    bool empty() const noexcept { return n_ == 0 && (!more_ || more_->empty()); }
    std::uint32_t pop() {
      if (more_ && !more_->empty()) {
        const std::uint32_t g = more_->back();
        more_->pop_back();
        return g;
      }
      return inline_[--n_];
    }

   private:
    std::array<std::uint32_t, 8> inline_;  // only [0, n_) is read
    std::size_t n_ = 0;
    std::unique_ptr<std::vector<std::uint32_t>> more_;  // rare: costs nothing until needed
  };
  /// Marks `w` done and releases its successors: tasks into `ready`, groups (an empty body waits
  /// for its gates as a group) into `groups`, for done_groups to finish without recursion.
  template <bool kShared>
  void finish(Waitable& w, std::vector<std::uint32_t>& ready, GroupWorklist& groups);
  template <bool kShared>
  std::int64_t complete_as(std::uint32_t slot, std::int64_t duration_ns,
                           std::vector<std::uint32_t>& ready);
  void member_done(std::uint32_t group, std::vector<std::uint32_t>& ready);
  void done_groups(GroupWorklist& groups, std::vector<std::uint32_t>& ready);
  /// Makes group `g` wait for `gate` (unless it is finished); true when an edge was added.
  bool gate_group(const GateRef& gate, std::uint32_t g);
  Waitable& record(RecordRef r) noexcept {
    if (r & kGroupBit) return group(r & ~kGroupBit);
    return task(r);
  }
  /// Records are touched by several threads (not EngineOptions::single_thread).
  bool shared() const noexcept { return !options_.single_thread; }
  // Updates of record counters: atomic read-modify-writes when the records are shared with other
  // threads (kShared), plain loads and stores when not (options_.single_thread). The per-task
  // paths are compiled for each (commit, finish); the rest asks shared() at run time.
  template <bool kShared>
  static std::int32_t count_down(std::atomic<std::int32_t>& c) noexcept {
    if constexpr (kShared) {
      return c.fetch_sub(1, std::memory_order_acq_rel);
    } else {
      const std::int32_t v = c.load(std::memory_order_relaxed);
      c.store(v - 1, std::memory_order_relaxed);
      return v;
    }
  }
  template <bool kShared>
  static void count_up(std::atomic<std::int32_t>& c) noexcept {
    if constexpr (kShared) {
      c.fetch_add(1, std::memory_order_relaxed);
    } else {
      c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
  }
  /// a = max(a, v).
  template <bool kShared>
  static void raise(std::atomic<std::int64_t>& a, std::int64_t v) noexcept {
    std::int64_t cur = a.load(std::memory_order_relaxed);
    if constexpr (!kShared) {
      if (cur < v) a.store(v, std::memory_order_relaxed);
    } else {
      while (cur < v && !a.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
      }
    }
  }
  std::int32_t count_down(std::atomic<std::int32_t>& c) const noexcept {
    return shared() ? count_down<true>(c) : count_down<false>(c);
  }
  void count_up(std::atomic<std::int32_t>& c) const noexcept {
    shared() ? count_up<true>(c) : count_up<false>(c);
  }
  void raise(std::atomic<std::int64_t>& a, std::int64_t v) const noexcept {
    shared() ? raise<true>(a, v) : raise<false>(a, v);
  }
  GroupRecord& group(std::uint32_t g) noexcept { return groups_[g >> kChunkBits][g & kChunkMask]; }
  /// Finds the data dependencies of a task of a tracked node (node_tracked_).
  void track_data(TaskRecord& t, std::uint32_t slot);

  // Read by every thread (task(), group()), written only between executions.
  const Plan& plan_;
  EngineOptions options_;
  const BoundValues* values_ = nullptr;
  /// One record per slot of the window, made as slots are first handed out, in one reserved
  /// block: a record is one address computation away (with chunks, the chunk's pointer was a
  /// load on the way to every record: ~45 instructions a task on the simulator's DAG).
  ReservedArray<TaskRecord> records_;
  std::vector<std::unique_ptr<GroupRecord[]>> groups_;  ///< chunks; reserved, never reallocated

  // Written by the generation role per task, from the next cache line on: a line shared with the
  // members above would move between cores at every task and every completion.
  alignas(64) std::vector<std::uint32_t> free_slots_;
  std::vector<std::uint32_t> free_groups_;
  std::unique_ptr<Generator> generator_;
  std::vector<PlanAccess> accesses_;  ///< every tensor argument of the plan (access_analysis.hpp)

  // Generation role state.
  /// What a body waits for: the previous body's group, or (an item) its single task.
  using Gate = GateRef;
  struct Chain {
    Gate last;  ///< the previous body of the chain
    /// gate_epoch_ when the previous body opened. While it is unchanged, the gates below the
    /// chain's bodies are the ones the previous body waited for, so a body that waits for the
    /// previous one waits for them too (transitively) and need not look at them again.
    std::uint64_t epoch = 0;
  };
  /// An open body: the gate stack's size before its gates, and the gate floor outside it.
  struct BodyMark {
    std::size_t size;
    std::size_t floor;
  };
  /// Where generation stands: one per CSP process being generated, plus the main one. The live
  /// one is in the members below; the others wait in `contexts_`.
  struct Context {
    std::vector<Chain> chains;
    std::vector<std::uint32_t> group_stack;
    std::vector<Gate> gate_stack;
    std::vector<BodyMark> gate_marks;
    std::size_t gate_floor = 0;
    std::uint32_t last_slot = kNone;
    bool in_use = false;
  };
  std::vector<Chain> chains_;
  std::vector<std::uint32_t> group_stack_;  ///< open groups, innermost last
  std::vector<Gate> gate_stack_;            ///< what every task committed now waits for
  std::vector<BodyMark> gate_marks_;        ///< one per open body, innermost last
  /// Gates below this index are implied by the one at it (a chain's previous body that waited
  /// for them): a task committed now looks only at gate_stack_[gate_floor_, end).
  std::size_t gate_floor_ = 0;
  /// Bumped whenever the gate stack changes other than by bodies opening and closing (a CSP
  /// gate pushed or popped): see Chain::epoch.
  std::uint64_t gate_epoch_ = 0;
  std::uint32_t pending_slot_ = kNone;  ///< slot handed out by next_payload
  Dispatcher* placer_ = nullptr;        ///< the dispatcher, unless every task goes to queue 0 alike
  std::uint32_t last_slot_ = kNone;     ///< the task committed last (an item's task)
  std::vector<Context> contexts_;       ///< [0]: the main generation; others: CSP processes
  int current_context_ = 0;
  std::uint64_t next_id_ = 0;
  std::int64_t now_ns_ = 0;
  std::int64_t ns_per_task_ = 0;
  SlotOutput ready_out_;                ///< generate's `ready`
  SlotOutput waiting_out_;              ///< generate's `waiting` (not attached: none)
  std::shared_ptr<ChunkedLoop> split_;  ///< the loop being generated in chunks, if any
  std::mutex split_mu_;                 ///< guards split_ against helpers reading it
  std::atomic<bool> split_active_{false};
  RegionIndex index_;
  RegionIndex::Cells cells_;                 ///< scratch for track_data
  std::vector<int> tensor_space_;            ///< space of each plan tensor
  std::vector<std::uint8_t> space_tracked_;  ///< accesses to the space can conflict (start())
  std::vector<std::uint8_t> node_tracked_;   ///< by plan node: some argument's space is tracked
  std::vector<std::uint8_t> views_read_;     ///< EngineOptions::views_read, tracked nodes added
  bool tracking_ = false;                    ///< some node is tracked

  // Retired records, handed over by `retire` (any thread), on cache lines of their own: a
  // worker writes them once per task while the generating one reads the members above per task
  // (sharing a line cost ~20% on a two-thread chain).
  alignas(64) SpinLock retired_lock_;
  std::vector<std::uint32_t> retired_;
  alignas(64) std::vector<std::uint32_t> retired_scratch_;
};

}  // namespace pto::wsp::engine
