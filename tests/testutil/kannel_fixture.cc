#include "testutil/kannel_fixture.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/utf8.h"

namespace sakchy::testing {
namespace {

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string UrlDecodeBytes(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 1) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else if (s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

namespace {

// UTF-16BE (UCS-2 as sent to the SMSC) -> UTF-8.
std::string Utf16BeToUtf8(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i + 1 < bytes.size(); i += 2) {
    unsigned cp =
        (static_cast<unsigned char>(bytes[i]) << 8) | static_cast<unsigned char>(bytes[i + 1]);
    if (cp >= 0xD800 && cp < 0xDC00 && i + 3 < bytes.size()) {
      const unsigned lo = (static_cast<unsigned char>(bytes[i + 2]) << 8) |
                          static_cast<unsigned char>(bytes[i + 3]);
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 2;
    }
    AppendUtf8(out, cp);
  }
  return out;
}

}  // namespace

std::vector<std::uint16_t> FreePorts(int n) {
  std::vector<int> fds;
  std::vector<std::uint16_t> ports;
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "cannot pick a free port";
      if (fd >= 0) close(fd);
      break;
    }
    fds.push_back(fd);
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  return ports;
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::pair<int, std::string> RunShell(const std::string& command) {
  std::string output;
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, "popen failed"};
  std::array<char, 4096> buf;
  std::size_t n = 0;
  while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) output.append(buf.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

KannelFixture::KannelFixture() : ports_(FreePorts(4)) {}

KannelFixture::~KannelFixture() {
  if (started_) {
    RunShell(ShellQuote(scripts_.str() + "/stop-kannel.sh") + " " + ShellQuote(dir_.str()));
  }
}

bool KannelFixture::Installed() {
  return access("/usr/sbin/bearerbox", X_OK) == 0 && access("/usr/sbin/smsbox", X_OK) == 0 &&
         access("/usr/lib/kannel/test/fakesmsc", X_OK) == 0;
}

::testing::AssertionResult KannelFixture::Start(std::uint16_t sakchy_port,
                                                const std::string& secret) {
  if (ports_.size() != 4) return ::testing::AssertionFailure() << "no free ports";
  const std::string fixture = SourcePath("tests/fixtures/kannel");
  for (const char* file : {"start-kannel.sh", "stop-kannel.sh", "kannel.conf.in"}) {
    std::error_code ec;
    std::filesystem::copy_file(fixture + "/" + file, scripts_.str() + "/" + file, ec);
    if (ec) return ::testing::AssertionFailure() << "cannot copy " << file << ": " << ec.message();
  }
  std::ostringstream cmd;
  cmd << ShellQuote(scripts_.str() + "/start-kannel.sh") << " " << ShellQuote(dir_.str()) << " "
      << sakchy_port << " " << ShellQuote(secret);
  for (auto p : ports_) cmd << " " << p;
  started_ = true;
  auto [code, output] = RunShell(cmd.str());
  if (code != 0) {
    return ::testing::AssertionFailure() << "start-kannel.sh exited " << code << ":\n" << output;
  }
  return ::testing::AssertionSuccess();
}

std::string KannelFixture::sendsms_url() const {
  return "http://127.0.0.1:" + std::to_string(ports_.size() == 4 ? ports_[2] : 0) +
         "/cgi-bin/sendsms";
}

::testing::AssertionResult KannelFixture::SendMo(const std::string& line) {
  const std::string fifo = dir_.str() + "/mo.fifo";
  const int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd < 0) return ::testing::AssertionFailure() << "cannot open " << fifo;
  const std::string data = line + "\n";
  const auto written = write(fd, data.data(), data.size());
  close(fd);
  if (written != static_cast<ssize_t>(data.size())) {
    return ::testing::AssertionFailure() << "short write to " << fifo;
  }
  return ::testing::AssertionSuccess();
}

std::string KannelFixture::Log(const std::string& name) const {
  return ReadAll(dir_.str() + "/" + name);
}

std::vector<std::string> FakeSmscMessages(const std::string& log) {
  std::vector<std::string> out;
  std::map<std::string, std::map<int, std::string>> parts;  // to/ref -> seq -> bytes
  std::map<std::string, int> totals;
  std::istringstream in(log);
  std::string line;
  while (std::getline(in, line)) {
    const auto at = line.find("Got message");
    if (at == std::string::npos) continue;
    const auto open = line.find('<', at);
    if (open == std::string::npos) continue;
    std::string inner = line.substr(open + 1);
    if (!inner.empty() && inner.back() == '>') inner.pop_back();
    std::istringstream fields(inner);
    std::string from, to, type, data;
    fields >> from >> to >> type;
    if (type == "udh") {
      std::string udh_text, data_word;
      fields >> udh_text >> data_word >> data;
      const std::string udh = UrlDecodeBytes(udh_text);
      if (udh.size() < 6 || udh[1] != 0) continue;  // only 8-bit reference concatenation
      const std::string key = to + "/" + std::to_string(static_cast<unsigned char>(udh[3]));
      totals[key] = static_cast<unsigned char>(udh[4]);
      parts[key][static_cast<unsigned char>(udh[5])] = UrlDecodeBytes(data);
      if (static_cast<int>(parts[key].size()) == totals[key]) {
        std::string bytes;
        for (const auto& [seq, chunk] : parts[key]) bytes += chunk;
        out.push_back(Utf16BeToUtf8(bytes));
        parts.erase(key);
      }
    } else {
      fields >> data;
      const std::string bytes = UrlDecodeBytes(data);
      out.push_back(type == "ucs-2" ? Utf16BeToUtf8(bytes) : bytes);
    }
  }
  return out;
}

}  // namespace sakchy::testing
