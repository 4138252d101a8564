// Runs a function when the scope ends unless cancelled: the undo of a multi-step setup
// (init, join) is written once, next to its first step, instead of after every failure.
#pragma once

#include <utility>

namespace fieldcase {

template <typename F>
class [[nodiscard]] Cleanup {
 public:
  explicit Cleanup(F f) : f_(std::move(f)) {}
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() {
    if (armed_) f_();
  }
  // The work completed: nothing to undo.
  void Cancel() { armed_ = false; }

 private:
  F f_;
  bool armed_ = true;
};

}  // namespace fieldcase
