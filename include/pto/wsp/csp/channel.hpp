// CSP channels (DESIGN §4.3): bounded FIFOs of items between the processes of a pipeline. An item
// is a sub-workload (its tasks) or a token; `depth` is how many items may be in flight between a
// producer and its consumer (0: a rendezvous, as events use).
#pragma once

#include <memory>
#include <string>

namespace pto::wsp {

struct ChannelDecl {
  std::string name;
  int depth = 0;
};

class Channel {
 public:
  /// Throws ChannelError for a negative depth or an empty name.
  Channel(std::string name, int depth);
  const std::string& name() const noexcept { return decl_->name; }
  int depth() const noexcept { return decl_->depth; }
  /// Identity: two Channel objects are the same channel when they share a declaration.
  const ChannelDecl* id() const noexcept { return decl_.get(); }
  bool operator==(const Channel& other) const noexcept { return decl_ == other.decl_; }

 private:
  std::shared_ptr<const ChannelDecl> decl_;
};

/// An event: a rendezvous channel of tokens. `record(e)` marks the point after the recording
/// process's preceding steps; `synchronize(e)` makes the synchronizing process's following steps
/// wait for it; `query(e, then, else)` branches on whether it has been recorded.
class Event : public Channel {
 public:
  explicit Event(std::string name) : Channel(std::move(name), 0) {}
};

}  // namespace pto::wsp
