// A bundle's entries in bounded pieces (sync/ingest.h: kIngestPieceEntries or
// kIngestPieceBytes), read on a thread of their own one piece ahead of the writer:
// decrypting and decoding the next piece overlaps storing this one. Without a thread (none
// could be started) the pieces are read when asked for. Private to node/.
#pragma once

#include <condition_variable>
#include <exception>
#include <new>
#include <string>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>
#include <vector>

#include "fieldcase/sync/bundle.h"
#include "fieldcase/sync/ingest.h"

namespace fieldcase::node {

class PieceReader {
 public:
  PieceReader(sync::BundleReader& reader, const sync::PieceBounds& bounds)
      : reader_(reader), bounds_(bounds) {
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      // Read inline (Take).
    }
  }
  ~PieceReader() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  PieceReader(const PieceReader&) = delete;
  PieceReader& operator=(const PieceReader&) = delete;

  // The next piece, or none at the end (after the reader's final checks passed).
  Result<std::optional<std::vector<store::RawEntry>>> Take() {
    using Piece = std::optional<std::vector<store::RawEntry>>;
    if (!thread_.joinable()) {
      if (ended_) return Piece();
      std::vector<store::RawEntry> piece;
      FC_ASSIGN_OR_RETURN(bool more, ReadPiece(piece));
      ended_ = !more;
      if (piece.empty()) return Piece();
      return Piece(std::move(piece));
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return ready_.has_value() || finished_; });
    if (ready_) {
      Piece p = std::move(ready_);
      ready_.reset();
      cv_.notify_all();
      return p;
    }
    if (!error_.ok()) return error_;
    return Piece();
  }

 private:
  // Fills `piece` up to the bounds; false once the bundle has ended.
  Result<bool> ReadPiece(std::vector<store::RawEntry>& piece) {
    size_t bytes = 0;
    while (true) {
      const size_t had = piece.size();
      FC_ASSIGN_OR_RETURN(bool more, reader_.Next(piece));
      if (!more) return false;
      for (size_t i = had; i < piece.size(); ++i) {
        bytes += piece[i].header.size() + (piece[i].payload ? piece[i].payload->size() : 0);
      }
      if (piece.size() >= bounds_.entries || bytes >= bounds_.bytes) {
        return true;
      }
    }
  }

  // On the reading thread, what would end the process (out of memory; an exception from
  // the source) ends the import instead, with a message, as it would on the calling thread.
  Result<bool> ReadPieceCaught(std::vector<store::RawEntry>& piece) {
    try {
      return ReadPiece(piece);
    } catch (const std::bad_alloc&) {
      piece.clear();
      return Status::IOError(
          "out of memory while reading the bundle; nothing more was imported. Close other "
          "programs and import it again");
    } catch (const std::exception& e) {
      piece.clear();
      return Status::IOError(std::string("reading the bundle failed: ") + e.what() +
                             "; nothing more was imported");
    } catch (...) {
      piece.clear();
      return Status::IOError("reading the bundle failed; nothing more was imported");
    }
  }

  void Run() {
    while (true) {
      std::vector<store::RawEntry> piece;
      auto more = ReadPieceCaught(piece);
      std::unique_lock<std::mutex> lock(mu_);
      // One piece ahead: wait until the writer took the last one.
      cv_.wait(lock, [&] { return !ready_.has_value() || stop_; });
      if (stop_) return;
      if (!more.ok()) error_ = more.status();
      if (more.ok() && !piece.empty()) ready_ = std::move(piece);
      if (!more.ok() || !*more) finished_ = true;
      cv_.notify_all();
      if (finished_) return;
    }
  }

  sync::BundleReader& reader_;
  const sync::PieceBounds bounds_;
  std::thread thread_;
  bool ended_ = false;  // inline reading only
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<std::vector<store::RawEntry>> ready_;  // guarded by mu_
  bool finished_ = false, stop_ = false;               // guarded by mu_
  Status error_ = Status::Ok();                        // guarded by mu_
};

}  // namespace fieldcase::node
