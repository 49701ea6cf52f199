#include "service/store_socket.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>

#include "service/served_store.h"

namespace engram::service {

Result<std::unique_ptr<StoreSocket>> StoreSocket::Start(HttpApi& api, const std::string& store_path) {
  std::unique_ptr<StoreSocket> socket(new StoreSocket(ServeSocketPath(store_path)));
  const std::string& path = socket->path_;
  if (path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return Status::IOError("cannot listen on unix socket '" + path + "': the path is longer than the system's limit of " +
                           std::to_string(sizeof(sockaddr_un{}.sun_path) - 1) + " bytes");
  }
  httplib::Server& server = socket->server_;
  server.new_task_queue = [] { return new httplib::ThreadPool(8); };
  api.Mount(server);
  server.set_address_family(AF_UNIX);
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());
  // 0600 from the start: no moment in which another user could connect.
  const mode_t old_mask = ::umask(0177);
  const bool bound = server.bind_to_port(path, 80);
  ::umask(old_mask);
  if (!bound) return Status::IOError("cannot listen on unix socket '" + path + "'");
  ::chmod(path.c_str(), 0600);
  socket->thread_ = std::thread([&server] { server.listen_after_bind(); });
  // stop() does nothing before the accept loop runs.
  for (int i = 0; i < 2000 && !server.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return socket;
}

void StoreSocket::Stop() {
  if (stopped_) return;
  stopped_ = true;
  if (thread_.joinable()) {
    server_.stop();
    thread_.join();
  }
  ::unlink(path_.c_str());
}

StoreSocket::~StoreSocket() { Stop(); }

}  // namespace engram::service
