#include "tools/rtp-probe/tone.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <numbers>

namespace sbc::rtpprobe {

namespace {

constexpr size_t kFftSize = 1024;
constexpr double kTwoPi = 2 * std::numbers::pi;

// In-place iterative radix-2 FFT; a.size() is a power of two.
void fft(std::vector<std::complex<double>>& a) {
  const size_t n = a.size();
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1)
      j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    std::complex<double> w = std::polar(1.0, -kTwoPi / static_cast<double>(len));
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> wk = 1;
      for (size_t k = 0; k < len / 2; ++k) {
        std::complex<double> u = a[i + k];
        std::complex<double> v = a[i + k + len / 2] * wk;
        a[i + k] = u + v;
        a[i + k + len / 2] = u - v;
        wk *= w;
      }
    }
  }
}

double dbfs(double rms) {
  return rms > 0 ? 20 * std::log10(rms / 32768.0) : -200;
}

}  // namespace

ToneGenerator::ToneGenerator(double frequencyHz, double amplitude, double sampleRate)
    : step_(kTwoPi * frequencyHz / sampleRate), scale_(amplitude * 32767.0) {}

void ToneGenerator::fill(std::span<int16_t> out) {
  for (int16_t& s : out) {
    s = static_cast<int16_t>(std::lround(scale_ * std::sin(phase_)));
    phase_ = std::fmod(phase_ + step_, kTwoPi);
  }
}

ToneAnalysis analyseTone(std::span<const int16_t> samples, const ToneAnalysisOptions& options) {
  ToneAnalysis result;
  // Keep the non-silent 20 ms blocks, end to end.
  const size_t block = static_cast<size_t>(options.sampleRate / 50);
  const double threshold = 32768.0 * std::pow(10.0, options.silenceDbfs / 20);
  std::vector<double> audio;
  double energy = 0;
  for (size_t at = 0; at < samples.size(); at += block) {
    size_t n = std::min(block, samples.size() - at);
    double sum = 0;
    for (size_t i = 0; i < n; ++i)
      sum += double(samples[at + i]) * samples[at + i];
    if (std::sqrt(sum / double(n)) < threshold) {
      result.silentSamples += n;
      continue;
    }
    energy += sum;
    audio.insert(audio.end(), samples.begin() + at, samples.begin() + at + n);
  }
  result.analysedSamples = audio.size();
  if (audio.size() < block) return result;
  result.hasAudio = true;
  result.levelDbfs = dbfs(std::sqrt(energy / double(audio.size())));

  // Averaged power spectrum. Less than one window of audio: one zero-padded window.
  std::vector<double> window(kFftSize);
  for (size_t i = 0; i < kFftSize; ++i) {
    window[i] = 0.5 - 0.5 * std::cos(kTwoPi * double(i) / double(kFftSize));
  }
  std::vector<double> power(kFftSize / 2 + 1, 0.0);
  std::vector<std::complex<double>> buf(kFftSize);
  size_t segments = 0;
  for (size_t at = 0; segments == 0 || at + kFftSize <= audio.size(); at += kFftSize / 2) {
    for (size_t i = 0; i < kFftSize; ++i) {
      buf[i] = at + i < audio.size() ? audio[at + i] * window[i] : 0.0;
    }
    fft(buf);
    for (size_t k = 0; k < power.size(); ++k)
      power[k] += std::norm(buf[k]);
    ++segments;
  }

  const double binHz = options.sampleRate / double(kFftSize);
  // The peak, above 50 Hz (DC and hum are not a tone) and below the top bins.
  size_t first = static_cast<size_t>(std::ceil(50 / binHz));
  size_t peak = first;
  for (size_t k = first; k + 1 < power.size(); ++k) {
    if (power[k] > power[peak]) peak = k;
  }
  double offset = 0;
  if (peak > 0 && power[peak - 1] > 0 && power[peak] > 0 && power[peak + 1] > 0) {
    double a = std::log(power[peak - 1]), b = std::log(power[peak]), c = std::log(power[peak + 1]);
    double denominator = a - 2 * b + c;
    if (denominator < 0) offset = std::clamp(0.5 * (a - c) / denominator, -0.5, 0.5);
  }
  result.frequencyHz = (double(peak) + offset) * binHz;

  double target = options.targetHz.value_or(result.frequencyHz);
  double halfBand = std::max(options.bandHz, 4 * binHz);
  double signal = 0, noise = 0;
  for (size_t k = 1; k < power.size(); ++k) {
    (std::abs(double(k) * binHz - target) <= halfBand ? signal : noise) += power[k];
  }
  // Capped: a perfect synthetic tone would otherwise give infinity, which JSON cannot hold.
  result.snrDb = noise > 0 && signal > 0 ? std::min(10 * std::log10(signal / noise), 150.0)
                 : signal > 0            ? 150.0
                                         : -150.0;
  return result;
}

}  // namespace sbc::rtpprobe
