local explicit = nil
if ARG.mode == 'given' then explicit = ARG.url end
local slot, why = reserve_slot(ARG.token, explicit)
if slot then return {'M', slot, why} end
if why == 'full' then return {'F'} end
return {'N'}
