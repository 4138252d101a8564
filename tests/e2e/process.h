// Runs the real fieldcase binary as a child process: arguments, environment, standard
// input in; exit code, standard output and standard error out. Also a handle for a child
// left running (to kill it with SIGKILL mid-append).
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

extern char** environ;

namespace fieldcase::test {

struct ProcResult {
  int exit_code = -1;  // -signal when killed
  std::string out, err;
};

class Child {
 public:
  // `wrapper`: a program (absolute path, then its arguments) that runs the binary, e.g.
  // {"/usr/bin/prlimit", "--nofile=5", "--"}.
  Child(const std::vector<std::string>& args, const std::map<std::string, std::string>& env,
        const std::vector<std::string>& wrapper = {}) {
    signal(SIGPIPE, SIG_IGN);  // a child that died must not take the test with it
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
      throw std::runtime_error("pipe");
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<std::string> full = wrapper;
    full.push_back(FIELDCASE_BINARY);
    full.insert(full.end(), args.begin(), args.end());
    const std::string program = full.front();
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::map<std::string, std::string> merged;
    for (char** e = environ; *e; ++e) {
      std::string kv = *e;
      auto eq = kv.find('=');
      if (eq != std::string::npos) merged[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const char* strip : {"FIELDCASE_PASSPHRASE", "FIELDCASE_RECOVERY_PASSPHRASE",
                              "FIELDCASE_DATA", "FIELDCASE_TEMPLATES"}) {
      merged.erase(strip);
    }
    for (auto& [k, v] : env) merged[k] = v;
    std::vector<std::string> envs;
    for (auto& [k, v] : merged) envs.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : envs) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, program.c_str(), &fa, nullptr, argv.data(), envp.data()) != 0) {
      throw std::runtime_error("cannot start " + program);
    }
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }
  ~Child() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    CloseIn();
    if (out_ >= 0) close(out_);
    if (err_ >= 0) close(err_);
  }

  void Write(const std::string& s) {
    size_t done = 0;
    while (done < s.size()) {
      ssize_t w = ::write(in_, s.data() + done, s.size() - done);
      if (w <= 0) return;
      done += size_t(w);
    }
  }
  void CloseIn() {
    if (in_ >= 0) close(in_);
    in_ = -1;
  }
  void Kill() { kill(pid_, SIGKILL); }
  // Blocks until the child prints a full line on stdout; false at end of output.
  bool ReadLine(std::string& line) {
    while (true) {
      auto nl = pending_.find('\n');
      if (nl != std::string::npos) {
        line = pending_.substr(0, nl);
        pending_.erase(0, nl + 1);
        return true;
      }
      char buf[4096];
      ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) return false;
      pending_.append(buf, size_t(n));
    }
  }
  pid_t pid() const { return pid_; }

  // Reads both pipes to the end, then reaps the child.
  ProcResult Finish() {
    ProcResult r;
    CloseIn();
    r.out = std::move(pending_);
    Drain(r);
    r.exit_code = Wait();
    return r;
  }

 private:
  void Drain(ProcResult& r) {
    char buf[65536];
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
      fd_set fds;
      FD_ZERO(&fds);
      if (out_open) FD_SET(out_, &fds);
      if (err_open) FD_SET(err_, &fds);
      if (select(std::max(out_, err_) + 1, &fds, nullptr, nullptr, nullptr) < 0) break;
      for (auto [fd, open, dst] :
           {std::tuple{out_, &out_open, &r.out}, std::tuple{err_, &err_open, &r.err}}) {
        if (*open && FD_ISSET(fd, &fds)) {
          ssize_t n = read(fd, buf, sizeof buf);
          if (n <= 0)
            *open = false;
          else
            dst->append(buf, size_t(n));
        }
      }
    }
  }
  int Wait() {
    int status = 0;
    if (pid_ <= 0) return -1;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return -WTERMSIG(status);
    return -1;
  }
  std::string pending_;
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
};

inline ProcResult Run(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& env = {},
                      const std::string& input = "",
                      const std::vector<std::string>& wrapper = {}) {
  Child c(args, env, wrapper);
  c.Write(input);
  return c.Finish();
}

}  // namespace fieldcase::test
