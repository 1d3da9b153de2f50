# A2S1 - Understanding Attention
# (I did this in VS Code, not in Colab)
import torch
import torch.nn.functional as F

torch.manual_seed(447)

key = torch.randn(4, 3)
key /= torch.norm(key, dim=1, keepdim=True)
key.round_(decimals=2)

value = torch.randn(4, 3)
value /= torch.norm(value, dim=1, keepdim=True)
value.round_(decimals=2)


def attention(query, key, value):
    return F.scaled_dot_product_attention(query, key, value, scale=1)


def report(name, query, target, key=key):
    err = (target - attention(query, key, value)).abs().max().item()
    print(f"{name}: max error {err:.4f}")


# part 1.2
query121 = 1e5 * key[0].unsqueeze(0)
report("1.2.1", query121, value[0])

query122 = 1e5 * key
report("1.2.2", query122, value)

# part 1.3
query131 = 1e-2 * key.mean(0, keepdim=True)
report("1.3.1", query131, value.mean(0))

query132 = 8 * key[:2].mean(0, keepdim=True)
report("1.3.2", query132, value[:2].mean(0))

# part 1.4
m_key = key.clone()
m_key[2] = (key[0] + key[1]) / 2
report("1.4.1", query132, value[:3].mean(0), key=m_key)

m_key = key.clone()
m_key[2] = query132[0]
m_key[2] /= m_key[2].norm()
report("1.4.2", query132, value[2], key=m_key)
