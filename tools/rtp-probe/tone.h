#pragma once

// The audio side of rtp-probe: a sine generator for `send`, and for `recv` the dominant
// frequency of what arrived and its signal-to-noise ratio against an expected tone.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace sbc::rtpprobe {

// A continuous sine: successive calls continue the phase, so packet boundaries add nothing.
class ToneGenerator {
 public:
  ToneGenerator(double frequencyHz, double amplitude, double sampleRate);
  void fill(std::span<int16_t> out);

 private:
  double phase_ = 0;  // radians, kept in [0, 2 pi)
  double step_;
  double scale_;
};

struct ToneAnalysis {
  bool hasAudio = false;  // false: nothing above the silence threshold
  double frequencyHz = 0;
  double snrDb = 0;         // power within the band around the target vs everything else
  double levelDbfs = -200;  // RMS of the analysed (non-silent) audio, dB full scale
  size_t analysedSamples = 0;
  size_t silentSamples = 0;
};

struct ToneAnalysisOptions {
  double sampleRate = 8000;
  // The SNR is measured around this frequency; none: around the dominant one.
  std::optional<double> targetHz;
  // Half width of the band counted as signal (at least 4 FFT bins, the Hann main lobe).
  double bandHz = 10;
  // 20 ms blocks whose RMS is below this are silence (hold, DTMF gaps) and left out.
  double silenceDbfs = -50;
};

// Welch's method: 1024-point Hann-windowed FFTs, half overlapping, over the non-silent
// audio; the peak bin refined by Gaussian (log-parabolic) interpolation.
ToneAnalysis analyseTone(std::span<const int16_t> samples, const ToneAnalysisOptions& options);

}  // namespace sbc::rtpprobe
