#include "fieldcase/crypto/secretstream.h"

#include <sodium.h>

#include <stdexcept>

namespace fieldcase::crypto {

static_assert(kStreamKeyBytes == crypto_secretstream_xchacha20poly1305_KEYBYTES);
static_assert(kStreamHeaderBytes == crypto_secretstream_xchacha20poly1305_HEADERBYTES);
static_assert(kStreamOverheadBytes == crypto_secretstream_xchacha20poly1305_ABYTES);

namespace {
crypto_secretstream_xchacha20poly1305_state* State(SecretBytes& s) {
  return reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(s.data());
}
}  // namespace

StreamSealer::StreamSealer(const SecretBytes& key)
    : state_(sizeof(crypto_secretstream_xchacha20poly1305_state)) {
  if (key.size() != kStreamKeyBytes) throw std::invalid_argument("stream key must be 32 bytes");
  crypto_secretstream_xchacha20poly1305_init_push(State(state_), header_.data(), key.data());
}

StreamSealer::~StreamSealer() = default;

Bytes StreamSealer::Seal(ByteView plaintext, bool final) {
  Bytes out(plaintext.size() + kStreamOverheadBytes);
  unsigned long long n = 0;
  crypto_secretstream_xchacha20poly1305_push(
      State(state_), out.data(), &n, plaintext.data(), plaintext.size(), nullptr, 0,
      final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
            : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
  out.resize(size_t(n));
  return out;
}

Result<std::unique_ptr<StreamOpener>> StreamOpener::Open(const SecretBytes& key, ByteView header) {
  if (key.size() != kStreamKeyBytes || header.size() != kStreamHeaderBytes) {
    return Status::Corruption("stream header or key has the wrong size");
  }
  std::unique_ptr<StreamOpener> o(new StreamOpener());
  o->state_ = SecretBytes(sizeof(crypto_secretstream_xchacha20poly1305_state));
  if (crypto_secretstream_xchacha20poly1305_init_pull(State(o->state_), header.data(),
                                                      key.data()) != 0) {
    return Status::Corruption("stream header is invalid");
  }
  return o;
}

StreamOpener::~StreamOpener() = default;

Result<SecretBytes> StreamOpener::Open(ByteView message) {
  if (finished_) return Status::Corruption("data after the end of the stream");
  if (message.size() < kStreamOverheadBytes) return Status::Corruption("stream message too short");
  SecretBytes out(message.size() - kStreamOverheadBytes);
  unsigned long long n = 0;
  unsigned char tag = 0;
  if (crypto_secretstream_xchacha20poly1305_pull(State(state_), out.data(), &n, &tag,
                                                 message.data(), message.size(), nullptr, 0) != 0) {
    return Status::Corruption("stream message fails authentication (altered, reordered or cut)");
  }
  finished_ = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  return out;
}

}  // namespace fieldcase::crypto
