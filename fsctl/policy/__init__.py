"""`fsctl policy`: the policy pack run offline on a plan, as the engine runs it."""
