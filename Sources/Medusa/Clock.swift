import Foundation

/// Monotonic seconds, for timing stats.
package enum Clock {
  /// Seconds since an arbitrary fixed point.
  package static func now() -> Double {
    Double(DispatchTime.now().uptimeNanoseconds) / 1e9
  }
}
