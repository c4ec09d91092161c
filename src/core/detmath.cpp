#include "core/detmath.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace cfdm::detmath {
namespace {

constexpr double kLn2 = 0.6931471805599453094;
constexpr double kPi = 3.14159265358979323846;

// Splits x = m * 2^e with m in [sqrt(1/2), sqrt(2)). Exact (bit manipulation only).
double split_exponent(double x, int* e) {
  uint64_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int exponent = static_cast<int>((bits >> 52) & 0x7ff);
  if (exponent == 0) {         // subnormal: scale into the normal range first
    x *= 18014398509481984.0;  // 2^54
    std::memcpy(&bits, &x, sizeof bits);
    exponent = static_cast<int>((bits >> 52) & 0x7ff) - 54;
  }
  *e = exponent - 1022;
  bits = (bits & ~(uint64_t{0x7ff} << 52)) | (uint64_t{1022} << 52);  // m in [0.5, 1)
  double m;
  std::memcpy(&m, &bits, sizeof m);
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    *e -= 1;
  }
  return m;
}

// sin(r) and cos(r) for |r| <= pi/4 by Taylor series (terms to r^17 / r^18: error < 1e-17).
double sin_kernel(double r) {
  const double r2 = r * r;
  double term = r, sum = r;
  for (int k = 1; k <= 8; ++k) {
    term *= -r2 / ((2.0 * k) * (2.0 * k + 1.0));
    sum += term;
  }
  return sum;
}

double cos_kernel(double r) {
  const double r2 = r * r;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k <= 9; ++k) {
    term *= -r2 / ((2.0 * k - 1.0) * (2.0 * k));
    sum += term;
  }
  return sum;
}

// x = q * (pi/2) + r with |r| <= pi/4 (Cody-Waite with a three-part pi/2).
double reduce_half_pi(double x, long long* quadrant) {
  const double q = std::nearbyint(x * (2.0 / kPi));
  *quadrant = static_cast<long long>(q);
  const double p1 = 1.5707963267341256e+00;      // pi/2 split into parts whose products with
  const double p2 = 6.07710050630396597660e-11;  // q < 2^20 are exact
  const double p3 = 2.0222662487959506e-21;
  return ((x - q * p1) - q * p2) - q * p3;
}

}  // namespace

double log(double x) {
  int e;
  const double m = split_exponent(x, &e);
  // log(m) = 2 atanh(y), y = (m-1)/(m+1), |y| <= 0.1716: series to y^23 (error < 1e-17).
  const double y = (m - 1.0) / (m + 1.0);
  const double y2 = y * y;
  double term = y, sum = y;
  for (int k = 3; k <= 23; k += 2) {
    term *= y2;
    sum += term / k;
  }
  return 2.0 * sum + e * kLn2;
}

double exp(double x) {
  // exp(x) = 2^n exp(r), r = x - n ln2, |r| <= ln2/2; Taylor to r^14 (error < 1e-17).
  const double n = std::nearbyint(x / kLn2);
  const double r = (x - n * 0.69314718036912381649) - n * 1.9082149292705877e-10;
  double term = 1.0, sum = 1.0;
  for (int k = 1; k <= 14; ++k) {
    term *= r / k;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(n));
}

double sin(double x) {
  long long q;
  const double r = reduce_half_pi(x, &q);
  switch (q & 3) {
    case 0:
      return sin_kernel(r);
    case 1:
      return cos_kernel(r);
    case 2:
      return -sin_kernel(r);
    default:
      return -cos_kernel(r);
  }
}

double cos(double x) {
  long long q;
  const double r = reduce_half_pi(x, &q);
  switch (q & 3) {
    case 0:
      return cos_kernel(r);
    case 1:
      return -sin_kernel(r);
    case 2:
      return -cos_kernel(r);
    default:
      return sin_kernel(r);
  }
}

}  // namespace cfdm::detmath
