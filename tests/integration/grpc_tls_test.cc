// The internal gRPC APIs under mutual TLS (the test stack runs with
// SLUICE_GRPC_TLS=1): only clients holding a certificate of the stack's CA
// get an answer, and clients check the server's certificate too.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <sys/wait.h>

#include "absl/strings/str_cat.h"
#include "tests/testing/test_stack.h"

namespace sluice::testing {
namespace {

// The gRPC ports of auth, schema, storage and retention.
constexpr int kGrpcPorts[] = {5, 7, 9, 11};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(3));
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&](grpc::Status s) { done.set_value(s); });
  return done.get_future().get();
}

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.grpc_tls()) << "the test stack runs with SLUICE_GRPC_TLS=1";
    tls_ = stack_.var_dir() + "/grpc-tls/";
  }

  std::shared_ptr<grpc::Channel> Channel(
      int offset, const grpc::SslCredentialsOptions& options) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_.port(offset)),
                               grpc::SslCredentials(options));
  }

  // A CA of its own and a certificate it issued for 127.0.0.1, in a
  // directory of the stack's var.
  std::string OtherCa() {
    std::string dir = stack_.var_dir() + "/other-ca";
    std::string script = absl::StrCat(
        "set -e; rm -rf ", dir, "; mkdir -p ", dir, "; cd ", dir,
        "; openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other"
        " -keyout ca.key -out ca.crt 2>/dev/null"
        "; openssl req -newkey rsa:2048 -nodes -subj /CN=intruder"
        " -keyout tls.key -out tls.csr 2>/dev/null"
        "; printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=clientAuth,"
        "serverAuth\\n' > ext.cnf"
        "; openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key"
        " -CAcreateserial -days 2 -extfile ext.cnf -out tls.crt 2>/dev/null");
    EXPECT_EQ(std::system(script.c_str()), 0);
    return dir + "/";
  }

  TestStack& stack_ = TestStack::Get();
  std::string tls_;
};

TEST_F(GrpcTlsTest, ClientsWithTheStacksCertificateAreServed) {
  for (int offset : kGrpcPorts) {
    SCOPED_TRACE(offset);
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(tls_ + "ca.crt");
    options.pem_private_key = ReadFile(tls_ + "tls.key");
    options.pem_cert_chain = ReadFile(tls_ + "tls.crt");
    grpc::Status status = CheckHealth(Channel(offset, options));
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
}

TEST_F(GrpcTlsTest, PlaintextClientsAreRefused) {
  for (int offset : kGrpcPorts) {
    SCOPED_TRACE(offset);
    auto channel =
        grpc::CreateChannel(absl::StrCat("127.0.0.1:", stack_.port(offset)),
                            grpc::InsecureChannelCredentials());
    EXPECT_EQ(CheckHealth(channel).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(GrpcTlsTest, ClientsWithoutACertificateAreRefused) {
  for (int offset : kGrpcPorts) {
    SCOPED_TRACE(offset);
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(tls_ + "ca.crt");
    EXPECT_EQ(CheckHealth(Channel(offset, options)).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(GrpcTlsTest, CertificatesOfAnotherCaAreRefused) {
  std::string other = OtherCa();
  for (int offset : kGrpcPorts) {
    SCOPED_TRACE(offset);
    grpc::SslCredentialsOptions options;
    options.pem_root_certs = ReadFile(tls_ + "ca.crt");
    options.pem_private_key = ReadFile(other + "tls.key");
    options.pem_cert_chain = ReadFile(other + "tls.crt");
    EXPECT_EQ(CheckHealth(Channel(offset, options)).error_code(),
              grpc::StatusCode::UNAVAILABLE);
  }
}

TEST_F(GrpcTlsTest, UnusableFilesStopTheStartNamingTheFile) {
  // A key that is not the certificate's, or a file that is no PEM at all:
  // the service refuses to start rather than serve and fail every handshake.
  std::string other = OtherCa();
  const std::string binary =
      stack_.Env("SLUICE_BUILD") + "/services/auth/sluice-auth";
  const std::string log = stack_.var_dir() + "/tls-refused.log";
  struct Case {
    std::string cert, key, ca, expected;
  };
  for (const Case& c :
       {Case{tls_ + "tls.crt", other + "tls.key", tls_ + "ca.crt",
             "is not the key of the certificate"},
        Case{tls_ + "tls.crt", tls_ + "tls.key", other + "ext.cnf",
             "holds no PEM certificate"},
        Case{tls_ + "tls.crt", tls_ + "missing.key", tls_ + "ca.crt",
             "cannot be read"}}) {
    SCOPED_TRACE(c.expected);
    std::string command = absl::StrCat(
        "SLUICE_GRPC_TLS_CERT_FILE=", c.cert, " SLUICE_GRPC_TLS_KEY_FILE=",
        c.key, " SLUICE_GRPC_TLS_CA_FILE=", c.ca,
        " SLUICE_SECRET_KEY_FILE=", stack_.var_dir(), "/secret-key ",
        "timeout 10 ", binary, " --grpc_address=127.0.0.1:0 > ", log,
        " 2>&1");
    int status = std::system(command.c_str());
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
    std::string text = ReadFile(log);
    EXPECT_NE(text.find("unusable gRPC TLS settings"), std::string::npos)
        << text;
    EXPECT_NE(text.find(c.expected), std::string::npos) << text;
  }
  // Some of the three set, not all.
  std::string partial = absl::StrCat("SLUICE_GRPC_TLS_CERT_FILE=", tls_,
                                     "tls.crt timeout 10 ", binary, " > ",
                                     log, " 2>&1");
  int status = std::system(partial.c_str());
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_NE(ReadFile(log).find("or none"), std::string::npos) << ReadFile(log);
}

TEST_F(GrpcTlsTest, ServersAreCheckedAgainstTheCa) {
  // A client that trusts another CA does not talk to the stack's servers,
  // whatever certificate it holds.
  std::string other = OtherCa();
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = ReadFile(other + "ca.crt");
  options.pem_private_key = ReadFile(tls_ + "tls.key");
  options.pem_cert_chain = ReadFile(tls_ + "tls.crt");
  EXPECT_EQ(CheckHealth(Channel(9, options)).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace sluice::testing
