#include "fieldcase/record/hlc.h"

#include <algorithm>
#include <limits>

namespace fieldcase::record {

bool IsFutureDated(uint64_t hlc, uint64_t receipt_wall_ms) {
  const uint64_t ms = HlcMillis(hlc);
  // Written as a difference so that receipt_wall_ms + skew cannot overflow.
  return ms > receipt_wall_ms && ms - receipt_wall_ms > kFutureSkewMs;
}

Result<uint64_t> HybridClock::Tick(uint64_t wall_ms) {
  if (last_ == std::numeric_limits<uint64_t>::max()) {
    return Status::InvalidArgument("clock exhausted");
  }
  last_ = std::max(MakeHlc(wall_ms), last_ + 1);
  return last_;
}

void HybridClock::Observe(uint64_t received_hlc, uint64_t wall_ms) {
  // Cap = the last counter value of the millisecond wall + skew, clamped to 48 bits first so
  // neither the addition nor the shift can overflow.
  const uint64_t wall = std::min(wall_ms, kHlcMaxMillis);
  const uint64_t cap_ms = std::min(wall + kFutureSkewMs, kHlcMaxMillis);
  const uint64_t cap = MakeHlc(cap_ms, 0xFFFF);
  last_ = std::max(last_, std::min(received_hlc, cap));
}

}  // namespace fieldcase::record
