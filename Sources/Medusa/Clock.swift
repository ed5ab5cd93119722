import Foundation

/// Monotonic seconds, for timing stats.
enum Clock {
  /// Seconds since an arbitrary fixed point.
  static func now() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
  }
}
