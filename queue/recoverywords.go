package queue

// recoveryWords is the recovery key's word list: 256 plain ASCII words (one byte each), made
// for this project, short and unlike one another so that they are read aloud and typed back
// without mistakes. The order is the encoding: never reorder or change a word.
var recoveryWords = [256]string{
	"acid", "acorn", "actor", "adult", "agent", "alarm", "album", "alley", "amber", "angle", "ankle",
	"anvil", "apple", "april", "apron", "arena", "arrow", "atlas", "attic", "autumn", "badge",
	"bagel", "baker", "bamboo", "banjo", "barrel", "basin", "beach", "beacon", "beard", "beetle",
	"bench", "berry", "bishop", "blade", "bonnet", "border", "bottle", "branch", "bread", "bridge",
	"bronze", "broom", "bucket", "bullet", "butter", "button", "cabin", "cactus", "camel", "canal",
	"candle", "canyon", "carbon", "carpet", "castle", "cattle", "cedar", "cellar", "cement", "cherry",
	"chess", "circle", "citrus", "cliff", "clock", "cloud", "clover", "cobalt", "cocoa", "coffee",
	"comet", "copper", "coral", "cotton", "cougar", "crater", "crayon", "cuckoo", "dagger", "daisy",
	"dancer", "delta", "desert", "dinner", "domino", "donkey", "dragon", "drawer", "dune", "eagle",
	"easel", "echo", "elbow", "ember", "engine", "falcon", "fence", "fiddle", "finger", "fjord",
	"flame", "flute", "forest", "fossil", "fox", "galaxy", "garden", "garlic", "geyser", "ginger",
	"glacier", "glove", "goblet", "granite", "grape", "gravel", "guitar", "hammer", "harbor",
	"harvest", "hazel", "helmet", "heron", "hollow", "honey", "horizon", "hornet", "iceberg", "igloo",
	"island", "ivory", "jacket", "jaguar", "jasmine", "jelly", "jigsaw", "jungle", "kettle", "kiwi",
	"ladder", "lagoon", "lantern", "laptop", "lemon", "lentil", "lizard", "lobster", "locket",
	"lumber", "magnet", "mango", "maple", "marble", "meadow", "melon", "meteor", "mirror", "mitten",
	"monkey", "mosaic", "muffin", "mustard", "napkin", "nectar", "needle", "nickel", "noodle",
	"nutmeg", "oasis", "oatmeal", "ocean", "olive", "onion", "orbit", "orchid", "otter", "oyster",
	"paddle", "palace", "panda", "paper", "parrot", "peanut", "pebble", "pelican", "pepper", "piano",
	"pickle", "pigeon", "pillow", "pine", "planet", "plum", "pocket", "pony", "potato", "prism",
	"pumpkin", "puzzle", "quartz", "quill", "rabbit", "radar", "radish", "raven", "ribbon", "river",
	"robin", "rocket", "saddle", "salmon", "sandal", "satin", "sauce", "scarf", "scooter", "shadow",
	"shovel", "silver", "sketch", "sleigh", "socket", "spider", "sponge", "spruce", "squid", "stable",
	"statue", "summit", "sunset", "swan", "tablet", "tango", "teapot", "thimble", "thunder", "tiger",
	"timber", "toast", "tomato", "tulip", "tunnel", "turtle", "velvet", "violin", "volcano", "waffle",
	"walnut", "walrus", "willow", "window", "winter", "yogurt", "zebra", "zipper",
}
