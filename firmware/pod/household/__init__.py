# The household: a family's pods talk over ESP-NOW (see README "Household").
# Each module is imported on its own; nothing here is loaded by a pod without a household.
