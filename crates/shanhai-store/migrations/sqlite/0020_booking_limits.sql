-- Public booking limits per phone number and per network address. The address is kept only
-- as a keyed HMAC, like the phone number; NULL for bookings made before this or without one.
ALTER TABLE bookings ADD COLUMN address_hash TEXT;
CREATE INDEX bookings_phone ON bookings(phone_hash, created_at);
CREATE INDEX bookings_address ON bookings(address_hash, created_at);
