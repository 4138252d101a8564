// Status and Result<T>: expected failures travel as values (leveldb's Status).
// Exceptions are for programmer errors only and are caught at main().
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace fieldcase {

class [[nodiscard]] Status {
 public:
  // Persisted nowhere, but exit codes derive from these: do not reorder.
  enum class Code {
    kOk = 0,
    kNotFound,
    kCorruption,       // bytes on disk or from a peer fail a check
    kInvalidArgument,  // the caller (usually a user) asked for something malformed
    kIOError,          // the operating system said no (disk full, permission)
    kWrongPassphrase,
    kBusy,          // another process holds the data folder
    kRejected,      // an entry failed a structural check
    kGap,           // an entry's predecessor is not held (re-offer later)
    kNotPermitted,  // authority or state forbids it
    kNeedsUpgrade,  // a version, kind or op this build does not know (kept, not refused)
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {Code::kCorruption, std::move(m)}; }
  static Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
  static Status IOError(std::string m) { return {Code::kIOError, std::move(m)}; }
  static Status WrongPassphrase(std::string m) { return {Code::kWrongPassphrase, std::move(m)}; }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status Rejected(std::string m) { return {Code::kRejected, std::move(m)}; }
  static Status Gap(std::string m) { return {Code::kGap, std::move(m)}; }
  static Status NotPermitted(std::string m) { return {Code::kNotPermitted, std::move(m)}; }
  static Status NeedsUpgrade(std::string m) { return {Code::kNeedsUpgrade, std::move(m)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsIOError() const { return code_ == Code::kIOError; }
  bool IsWrongPassphrase() const { return code_ == Code::kWrongPassphrase; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsRejected() const { return code_ == Code::kRejected; }
  bool IsGap() const { return code_ == Code::kGap; }
  bool IsNotPermitted() const { return code_ == Code::kNotPermitted; }
  bool IsNeedsUpgrade() const { return code_ == Code::kNeedsUpgrade; }
  const std::string& message() const { return message_; }
  std::string ToString() const { return ok() ? "ok" : message_; }

  // Adds context in front: "opening store: disk full".
  Status Prefixed(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "Result from an ok Status has no value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace fieldcase

#define FC_CONCAT_INNER(a, b) a##b
#define FC_CONCAT(a, b) FC_CONCAT_INNER(a, b)

// Early return on failure, the leveldb way.
#define FC_RETURN_IF_ERROR(expr) FC_RETURN_IF_ERROR_IMPL(FC_CONCAT(fc_status_, __LINE__), expr)
#define FC_RETURN_IF_ERROR_IMPL(tmp, expr) \
  do {                                     \
    ::fieldcase::Status tmp = (expr);      \
    if (!tmp.ok()) return tmp;             \
  } while (0)

#define FC_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()
#define FC_ASSIGN_OR_RETURN(lhs, expr) \
  FC_ASSIGN_OR_RETURN_IMPL(FC_CONCAT(fc_result_, __LINE__), lhs, expr)
