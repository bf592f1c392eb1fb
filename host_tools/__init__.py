"""bedtime-pod host tools: podctl and the serial link to a pod."""
