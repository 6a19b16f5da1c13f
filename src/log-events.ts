// Placeholder replaced by the logger module.
export {};
