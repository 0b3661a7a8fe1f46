// Parallel generation of one long parallel_for/select loop: its outer range is cut into chunks,
// each expanded by its own sub-generator. Idle workers ("helpers") expand chunks ahead of the
// one being tracked into bounded buffers; the generation role replays the chunks in order, so
// the tracker still sees every task in program order.
#pragma once

#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/generator.hpp"

namespace pto::wsp::engine {

/// One chunk: a sub-generator over part of the loop and the events a helper buffered from it.
class ChunkJob final : public GenerationSink {
 public:
  enum class Event : std::uint8_t {
    Task,
    ChainBegin,
    ChainEnd,
    GroupBegin,
    GroupEnd,
    ItemBegin,
    ItemEnd
  };
  static constexpr std::size_t kBufferLimit = 512;  ///< tasks a helper may buffer per chunk

  ChunkJob(const Plan& plan, const BoundValues& values, int node,
           std::span<const std::int64_t> vars, std::int64_t begin, std::int64_t end)
      : generator(plan, values, node, vars, begin, end), iterations(end - begin) {}

  /// Held while a helper expands the chunk or the generation role replays it.
  std::mutex mu;
  Generator generator;
  std::vector<Event> events;          ///< buffered, not yet replayed
  std::vector<TaskPayload> payloads;  ///< buffered task payloads, in order; reused
  std::size_t buffered_tasks = 0;
  std::exception_ptr error;  ///< raised by the helper; replayed after the events before it
  std::int64_t iterations = 0;
  std::int64_t tasks = 0;  ///< produced so far (buffered or direct)
  bool claimed = false;    ///< a helper is on it (guarded by ChunkedLoop's mutex)
  bool stopped = false;    ///< done, failed or full: helpers leave it (guarded likewise)

  /// Forgets the replayed buffer (keeping its capacity).
  void clear_buffer() {
    events.clear();
    buffered_tasks = 0;
  }

  // GenerationSink, for helpers.
  TaskPayload* next_payload() override {
    if (!has_room()) return nullptr;
    if (payloads.size() <= buffered_tasks) payloads.resize(buffered_tasks + 1);
    return &payloads[buffered_tasks];
  }
  bool has_room() const noexcept { return buffered_tasks < kBufferLimit; }
  void commit_task() override {
    events.push_back(Event::Task);
    ++buffered_tasks;
    ++tasks;
  }
  void chain_begin() override { events.push_back(Event::ChainBegin); }
  void chain_end() override { events.push_back(Event::ChainEnd); }
  void group_begin() override { events.push_back(Event::GroupBegin); }
  void group_end() override { events.push_back(Event::GroupEnd); }
  void item_begin() override { events.push_back(Event::ItemBegin); }
  void item_end() override { events.push_back(Event::ItemEnd); }
};

class ChunkedLoop {
 public:
  ChunkedLoop(const Plan& plan, const BoundValues& values, int node,
              std::span<const std::int64_t> vars, std::int64_t begin, std::int64_t end,
              int max_chunks_ahead);

  /// The chunk to replay next (cut on demand), or null when the loop is finished.
  std::shared_ptr<ChunkJob> head();
  /// Drops the head once it is fully replayed and its generator is done.
  void pop_head();
  /// Expands one chunk ahead of the head into its buffer; false when there was nothing to do.
  /// Any thread, concurrently with the generation role.
  bool help();

 private:
  std::shared_ptr<ChunkJob> cut_locked();

  const Plan& plan_;
  const BoundValues& values_;
  int node_;
  std::vector<std::int64_t> vars_;
  std::int64_t next_, end_;
  std::int64_t chunk_iterations_ = 16;  ///< adapted so a chunk holds about 256 tasks
  std::size_t max_chunks_;
  std::mutex mu_;  ///< guards jobs_, next_, chunk_iterations_ and every job's `claimed`
  std::deque<std::shared_ptr<ChunkJob>> jobs_;
};

}  // namespace pto::wsp::engine
