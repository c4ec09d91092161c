// Messages that quote input: short, and safe to print whatever the input holds.
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace cfdm::test {
namespace {

TEST(Error, PrintableEscapesAndShortens) {
  EXPECT_EQ(printable("moons"), "moons");
  EXPECT_EQ(in_quotes("a,b"), "'a,b'");
  // Terminal escapes, control bytes, NUL, DEL: every one written as \xNN.
  EXPECT_EQ(printable(std::string("a\x1b]0;t\x07\x1b[2J\0\x7f", 13)), "a\\x1b]0;t\\x07\\x1b[2J\\x00\\x7f");
  // Well-formed UTF-8 stays; broken sequences, overlong forms and C1 controls (U+009B is a CSI) do not.
  EXPECT_EQ(printable("σ = 0.1, é"), "σ = 0.1, é");
  EXPECT_EQ(printable("\xc3"), "\\xc3");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xc2\x9b"), "\\xc2\\x9b");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  // A long input: its head and tail, at most about max_chars characters.
  const std::string long_input = "head" + std::string(100000, 'z') + "tail";
  const std::string shown = printable(long_input);
  EXPECT_LE(shown.size(), 40u);
  EXPECT_EQ(shown.substr(0, 4), "head");
  EXPECT_EQ(shown.substr(shown.size() - 4), "tail");
  EXPECT_NE(shown.find("..."), std::string::npos);
  // A cut never splits a UTF-8 character.
  std::string greek;
  for (int i = 0; i < 50; ++i) greek += "σ";
  const std::string cut = printable(greek, 20);
  EXPECT_EQ(cut.find("\\x"), std::string::npos) << cut;
  // Escapes of a long hostile input are bounded too (4 characters per byte at most).
  EXPECT_LE(printable(std::string(100000, '\x1b')).size(), 4u * 40);
}

}  // namespace
}  // namespace cfdm::test
